//! Releases: the service behind `/api/v1/releases` — create, read, replace a plan, and
//! every action of its life (submit, approve, start, pause, resume, promote, set the
//! percentage, roll back, cancel, tick the checklist, keep the risk log, log and
//! manage incidents).
//!
//! Transport-neutral like every service: functions take the caller and raw bodies
//! and return [`ServiceError`]s. Every change is ONE store commit that writes the
//! release document (guarded by its version), every flag the action changes (each
//! guarded by its version) and the webhook deliveries of the events it adds — so a
//! rollout is never half applied and no notification is lost. The scheduler and the
//! canary controller act through the same functions as people do. While a release runs
//! it owns its flags' configuration in its environment ([`ownership`]).

pub(crate) mod actions;
mod bodies;
pub(crate) mod commitments;
mod document;
mod guards;
pub(crate) mod incidents;
pub(crate) mod ownership;
mod preflight;
mod preview;
mod propagation;
mod risks;
mod rollout;
mod stored;
pub(crate) mod watch;

use rollgate_core::FieldError;
use rollgate_core::release::{ReleasePlan, ReleaseState};
use rollgate_core::validate::{parse, parse_value};

pub(crate) use actions::answer_resource;
pub(crate) use actions::{
    Action, Automation, CommitmentRequest, TaskList, TaskRequest, act, check_item, list_tasks,
    log_incident, record_analysis, run_with, set_percent, update_task,
};
pub(crate) use actions::{
    IncidentChange, IncidentRequest, NewRisk, RiskChange, add_risk, update_incident, update_risk,
};
pub(crate) use bodies::text as check_text;
pub(crate) use bodies::{ActionRequest, ChecklistRequest, PercentRequest};
pub use commitments::CommitmentStatus;
pub use document::{Actor, Approval, EventKind, Release, TimelineEvent};
pub use preflight::{Preflight, PreflightQuery};
pub use preview::StartPreview;
pub(crate) use preview::preview;
use stored::check_if_match;
pub(crate) use stored::{Guarded, Saved, Stored, load, read_all};
pub(crate) use stored::{save, save_guarded};

use crate::infra::auth::{Role, random_text};
use crate::infra::store::Kind;
use crate::service::App;
use crate::service::Refusal;
use crate::service::{IfMatch, ServiceError, WithVersion};
use crate::service::{Principal, require_environment, require_role};
use guards::check_plan;

/// Every release, optionally only those in `state` and/or `environment`.
pub(crate) async fn list(
    app: &App,
    principal: &Principal,
    state: Option<&str>,
    environment: Option<&str>,
) -> Result<Vec<WithVersion<Release>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let state = match state {
        None => None,
        Some(name) => Some(ReleaseState::parse(name).ok_or_else(|| {
            let known: Vec<&str> = ReleaseState::ALL.iter().map(|s| s.as_str()).collect();
            ServiceError::Invalid(vec![FieldError::new(
                "state",
                format!("unknown state {name:?}; one of {known:?}"),
            )])
        })?),
    };
    Ok(read_all(app)
        .await?
        .into_iter()
        .filter(|s| state.is_none_or(|wanted| s.release.state == wanted))
        .filter(|s| environment.is_none_or(|e| s.release.plan.environment == e))
        .map(WithVersion::from)
        .collect())
}

/// One release.
pub(crate) async fn get(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    Ok(load(app, id).await?.into())
}

/// Creates a release in `draft` from a plan (or from a template and what the request
/// sets itself).
pub(crate) async fn create(
    app: &App,
    principal: &Principal,
    body: &[u8],
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let plan = plan_of(app, body).await?;
    require_environment(principal, &plan.environment)?;
    let now = app.clock.now();
    let id = format!("rel-{}", random_text(12).to_ascii_lowercase());
    check_plan(app, &plan, None, &id, Some(now)).await?;
    let author = Actor::of(principal);
    let mut release = Release {
        salt: id.clone(),
        id,
        plan,
        state: ReleaseState::Draft,
        author: author.clone(),
        approvals: Vec::new(),
        current_stage: None,
        current_percent: Default::default(),
        stage_started_at: None,
        announced_at: None,
        baseline: Default::default(),
        created_at: now,
        timeline: vec![TimelineEvent {
            to: Some(ReleaseState::Draft),
            ..TimelineEvent::new(now, EventKind::Created, &author)
        }],
        preflight: None,
        analysis_progress: None,
        commitments: Vec::new(),
        watch_record: None,
        risk_log: Vec::new(),
        incidents: Vec::new(),
    };
    risks::seed_from_plan(&mut release, None, now);
    save(
        app,
        &author,
        "release.create",
        None,
        release,
        Vec::new(),
        None,
    )
    .await
}

/// The plan of a create request: the body itself, or — when it names a `template` —
/// the template's fields with the body's replacing them field by field.
async fn plan_of(app: &App, body: &[u8]) -> Result<ReleasePlan, ServiceError> {
    let mut fields: serde_json::Map<String, serde_json::Value> = parse(body)?;
    let Some(name) = fields.remove("template") else {
        // Read from the bytes, so a field given twice is refused, not the last one kept.
        return Ok(parse(body)?);
    };
    let fields = crate::service::templates::fill(app, &name, fields).await?;
    Ok(parse_value(serde_json::Value::Object(fields))?)
}

/// Checks that `principal` may act on release `id`: a token scoped to environments
/// acts only on the releases of those.
pub(crate) async fn require_scope(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<(), ServiceError> {
    if principal.scope().is_some() {
        require_environment(principal, &load(app, id).await?.release.plan.environment)?;
    }
    Ok(())
}

/// Read-only fields a client may send back unchanged in a `PUT` (they are ignored).
const READ_ONLY: [&str; 19] = [
    "id",
    "state",
    "author",
    "approvals",
    "current_stage",
    "current_percent",
    "salt",
    "stage_started_at",
    "announced_at",
    "baseline",
    "created_at",
    "timeline",
    "analysis_progress",
    "preflight",
    "commitments",
    "watch_record",
    "risk_log",
    "incidents",
    "version",
];

/// Replaces the plan of a release that has not started (If-Match required). Changing
/// what ships or how sends an approved plan back to `pending_approval` and drops its
/// approvals; other changes keep both. Risks the plan adds join the risk log.
pub(crate) async fn replace(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let stored = load(app, id).await?;
    require_environment(principal, &stored.release.plan.environment)?;
    let Some(if_match) = if_match else {
        return Err(ServiceError::VersionRequired {
            kind: Kind::Release,
            key: id.to_owned(),
            current: stored.version,
        });
    };
    check_if_match(&stored, Some(if_match))?;
    let mut fields: serde_json::Map<String, serde_json::Value> = parse(body)?;
    if let Some(sent) = fields.get("id").and_then(|v| v.as_str())
        && sent != id
    {
        return Err(ServiceError::invalid(
            "id",
            format!("the body names {sent:?} but the URL names {id:?}"),
        ));
    }
    for name in READ_ONLY {
        fields.remove(name);
    }
    let plan: ReleasePlan = parse_value(serde_json::Value::Object(fields))?;
    require_environment(principal, &plan.environment)?;
    let current = &stored.release;
    if !current.state.is_editable() {
        return Err(Refusal::NotEditable {
            id: id.to_owned(),
            state: current.state,
        }
        .into());
    }
    let now = app.clock.now();
    let schedule_changed = plan.schedule.announce_at != current.plan.schedule.announce_at
        || plan.schedule.start_at != current.plan.schedule.start_at;
    let previous = Some((&current.plan, now));
    check_plan(app, &plan, previous, id, schedule_changed.then_some(now)).await?;
    let actor = Actor::of(principal);
    let material = plan.differs_materially(&current.plan);
    let mut next = current.clone();
    next.plan = plan;
    next.timeline.push(TimelineEvent {
        details: Some(serde_json::json!({ "material": material })),
        ..TimelineEvent::new(now, EventKind::Revised, &actor)
    });
    if material && current.state != ReleaseState::Draft {
        let to =
            rollgate_core::release::transition(current.state, rollgate_core::release::Step::Revise)
                .map_err(Refusal::from)?;
        next.state = to;
        next.timeline.push(TimelineEvent {
            from: Some(current.state),
            to: Some(to),
            comment: Some(
                "what ships or how changed: the plan needs its approvals again".to_owned(),
            ),
            details: Some(serde_json::json!({ "dropped": current.approvals.len() })),
            ..TimelineEvent::new(now, EventKind::ApprovalsReset, &actor)
        });
        next.approvals.clear();
    }
    commitments::withdraw_changed(current, &mut next, &actor, now);
    risks::seed_from_plan(&mut next, Some(&actor), now);
    save(
        app,
        &actor,
        "release.revise",
        Some(&stored),
        next,
        Vec::new(),
        Some(if_match),
    )
    .await
}
