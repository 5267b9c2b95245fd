//! The guards on a release plan that look beyond the plan itself: it must fit the
//! served flags, segments and environments, no flag may be driven by another release,
//! and a release starts only with its checklist done and its approvals in.

use rollgate_core::release::tasks::past_due_errors;
use rollgate_core::release::validate::{policy_error, policy_signoff_errors};
use rollgate_core::release::{PlanCatalog, ReleasePlan, validate_plan};
use rollgate_core::{FieldError, model::Flag};

use super::{Release, read_all};
use crate::infra::hub::Catalog;
use crate::infra::promql::endpoints::Endpoints;
use crate::service::App;
use crate::service::Refusal;
use crate::service::ServiceError;

/// Validates a plan against the served catalog and the other releases. Due dates of
/// tasks are checked against `now` when new (no previous plan) or changed since
/// `revised` (the plan it replaces, and now).
pub(super) async fn check_plan(
    app: &App,
    plan: &ReleasePlan,
    revised: Option<(&ReleasePlan, time::OffsetDateTime)>,
    id: &str,
    now: Option<time::OffsetDateTime>,
) -> Result<(), ServiceError> {
    let catalog = app.hub.catalog();
    let mut errors = validate_plan(plan, &Documents(&catalog), now);
    match (revised, now) {
        (Some((previous, at)), _) => errors.extend(past_due_errors(plan, Some(previous), at)),
        (None, Some(at)) => errors.extend(past_due_errors(plan, None, at)),
        (None, None) => {}
    }
    errors.extend(prometheus_of_the_settings(app, plan, &errors));
    errors.extend(flags_in_other_releases(app, plan, id).await?);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// The error of an `analysis.prometheus_url` that names no Prometheus endpoint of the
/// settings: analysis asks only what the operator chose (`infra::promql::endpoints`).
fn prometheus_of_the_settings(
    app: &App,
    plan: &ReleasePlan,
    errors: &[FieldError],
) -> Option<FieldError> {
    const FIELD: &str = "analysis.prometheus_url";
    let url = plan.analysis.as_ref()?.prometheus_url.as_deref()?;
    if errors.iter().any(|e| e.field == FIELD) {
        return None;
    }
    let endpoints = Endpoints::new(&app.settings);
    let why = endpoints.choose(Some(url)).err()?;
    Some(FieldError::new(FIELD, why.to_string()))
}

/// `flags[i].key` errors for flags that another running or paused release drives.
pub(crate) async fn flags_in_other_releases(
    app: &App,
    plan: &ReleasePlan,
    id: &str,
) -> Result<Vec<FieldError>, ServiceError> {
    let others = read_all(app).await?;
    let mut errors = Vec::new();
    for (index, released) in plan.flags.iter().enumerate() {
        let owner = others.iter().find(|other| {
            other.release.id != id
                && other.release.state.is_active()
                && other.release.plan.environment == plan.environment
                && other
                    .release
                    .plan
                    .flags
                    .iter()
                    .any(|f| f.key == released.key)
        });
        if let Some(owner) = owner {
            errors.push(FieldError::new(
                format!("flags[{index}].key"),
                format!(
                    "flag {:?} is already in {} release {} ({:?}) in {}",
                    released.key,
                    owner.release.state,
                    owner.release.id,
                    owner.release.plan.name,
                    plan.environment
                ),
            ));
        }
    }
    Ok(errors)
}

/// The served catalog as the documents a plan refers to.
struct Documents<'a>(&'a Catalog);

impl PlanCatalog for Documents<'_> {
    fn has_environment(&self, key: &str) -> bool {
        self.0.environments.contains_key(key)
    }
    fn has_segment(&self, key: &str) -> bool {
        self.0.segments.contains_key(key)
    }
    fn flag(&self, key: &str) -> Option<&Flag> {
        self.0.flags.get(key).map(|f| f.doc.as_ref())
    }
    fn min_approvals(&self, environment: &str) -> u32 {
        self.0
            .environments
            .get(environment)
            .map_or(0, |e| e.doc.min_approvals())
    }
    fn required_signoffs(&self, environment: &str) -> Vec<String> {
        self.0
            .environments
            .get(environment)
            .map(|e| e.doc.required_signoffs().to_vec())
            .unwrap_or_default()
    }
}

/// Refuses a release whose plan asks for fewer approvals than its environment's
/// policy asks now (the policy may have been raised after the plan was written):
/// submit, approve and start check it, and the plan must be revised — which drops the
/// approvals given, since the organisation now wants more eyes on it.
pub(super) fn check_policy(app: &App, release: &Release) -> Result<(), ServiceError> {
    let catalog = app.hub.catalog();
    let documents = Documents(&catalog);
    let environment = &release.plan.environment;
    let mut errors: Vec<FieldError> =
        policy_error(&release.plan, documents.min_approvals(environment))
            .into_iter()
            .collect();
    errors.extend(policy_signoff_errors(
        &release.plan,
        &documents.required_signoffs(environment),
    ));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Refusal::PolicyRaised(errors).into())
    }
}

/// The guards of `start` beyond the state: checklist, approvals, a plan that still fits
/// the flags, and no other release driving them.
pub(super) async fn check_ready(app: &App, release: &Release) -> Result<(), ServiceError> {
    if let Some((index, item)) = release
        .plan
        .checklist
        .iter()
        .enumerate()
        .find(|(_, item)| !item.done)
    {
        let open = release.plan.checklist.iter().filter(|i| !i.done).count();
        return Err(Refusal::ChecklistOpen {
            index,
            open,
            item: item.item.clone(),
            owner: item.owner.clone(),
        }
        .into());
    }
    if let Some((index, task)) = release
        .plan
        .tasks
        .iter()
        .enumerate()
        .find(|(_, task)| !task.status.is_closed())
    {
        let open = release
            .plan
            .tasks
            .iter()
            .filter(|t| !t.status.is_closed())
            .count();
        return Err(Refusal::TasksOpen {
            index,
            open,
            title: task.title.clone(),
            owner: task.owner.clone(),
        }
        .into());
    }
    if let Some(index) = release.uncommitted() {
        let resource = &release.plan.resources[index];
        return Err(Refusal::ResourceUncommitted {
            index,
            description: resource.description.clone(),
            owner: resource.owner.clone(),
            declined: release.commitment(index).is_some(),
        }
        .into());
    }
    check_policy(app, release)?;
    if release.approval_count() < release.plan.approvals_required as usize {
        return Err(Refusal::ApprovalsMissing {
            given: release.approval_count(),
            required: release.plan.approvals_required,
        }
        .into());
    }
    let missing = release.missing_signoffs();
    if !missing.is_empty() {
        return Err(Refusal::SignoffsMissing(missing).into());
    }
    let catalog = app.hub.catalog();
    let errors = validate_plan(&release.plan, &Documents(&catalog), None);
    if !errors.is_empty() {
        return Err(Refusal::PlanUnfit(errors).into());
    }
    let errors = flags_in_other_releases(app, &release.plan, &release.id).await?;
    if !errors.is_empty() {
        return Err(Refusal::FlagsTaken(errors).into());
    }
    Ok(())
}
