//! The living risk log's actions: add a risk, or change one — its likelihood, impact,
//! mitigation, owner or status — with a reason, in one call, while the release is
//! planned, running or paused. Approvals are never touched: the log is beside the plan.
//! A risk that occurred names the incident it became, and that incident names it back,
//! in the same commit.

use rollgate_core::release::risk_log::{self, LoggedRisk, MAX_ENTRIES};
use rollgate_core::release::{Level, RiskStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::risks::seed_from_plan;
use super::super::{Actor, EventKind, Release, TimelineEvent, bodies};
use super::annotations::{annotate, open_items, request_of};
use crate::service::App;
use crate::service::Principal;
use crate::service::{IfMatch, ServiceError, WithVersion};

/// `POST /api/v1/releases/{id}/risks`: a new risk (it starts `open`).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRisk {
    /// What could go wrong.
    pub description: String,
    /// How likely: `low`, `medium` or `high`.
    pub likelihood: Level,
    /// How bad: `low`, `medium` or `high`.
    pub impact: Level,
    /// What reduces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
    /// Who watches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why it is added now, for the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /api/v1/releases/{id}/risks/{risk}`: what changes, each optional, and why.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RiskChange {
    /// The new status: `open`, `mitigating`, `closed` or `occurred` (with `incident`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RiskStatus>,
    /// The incident the risk became (only with `occurred`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// How likely now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<Level>,
    /// How bad now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Level>,
    /// The mitigation, replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
    /// The owner, replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why it changes (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Adds a risk to the log. Approvals are kept.
pub(crate) async fn add_risk(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: NewRisk = request_of(app, principal, id, body).await?;
    bodies::text("reason", request.reason.as_deref())?;
    let actor = Actor::of(principal);
    annotate(
        app,
        &actor,
        id,
        if_match,
        Vec::new(),
        "release.risk",
        |release, now| {
            open_items(release)?;
            seed_from_plan(release, Some(&actor), now);
            if release.risk_log.len() >= MAX_ENTRIES {
                return Err(ServiceError::invalid(
                    "risk_log",
                    format!("the log holds {MAX_ENTRIES} risks, the most a release keeps"),
                ));
            }
            let risk = LoggedRisk {
                id: risk_log::nth_id("risk", release.risk_log.len() + 1),
                description: request.description.clone(),
                likelihood: request.likelihood,
                impact: request.impact,
                mitigation: request.mitigation.clone().unwrap_or_default(),
                owner: request.owner.clone().unwrap_or_default(),
                status: RiskStatus::Open,
                incident: None,
                from_plan: false,
            };
            let errors = risk_log::check_texts(&risk);
            if !errors.is_empty() {
                return Err(ServiceError::Invalid(errors));
            }
            let details = json!({ "id": risk.id, "risk": risk });
            release.risk_log.push(risk);
            Ok(TimelineEvent {
                comment: request.reason.clone(),
                details: Some(details),
                ..TimelineEvent::new(now, EventKind::RiskAdded, &actor)
            })
        },
    )
    .await
}

/// Changes risk `risk` of the log, with a reason. Approvals are kept.
pub(crate) async fn update_risk(
    app: &App,
    principal: &Principal,
    id: &str,
    risk: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: RiskChange = request_of(app, principal, id, body).await?;
    let reason = bodies::required(
        "reason",
        request.reason.as_deref(),
        "say why the risk changes",
    )?;
    let nothing = request.status.is_none()
        && request.likelihood.is_none()
        && request.impact.is_none()
        && request.mitigation.is_none()
        && request.owner.is_none();
    if nothing {
        return Err(ServiceError::invalid(
            "status",
            "say what changes: a status, likelihood, impact, mitigation or owner",
        ));
    }
    let actor = Actor::of(principal);
    annotate(app, &actor, id, if_match, Vec::new(), "release.risk", |release, now| {
        open_items(release)?;
        seed_from_plan(release, Some(&actor), now);
        let before = find(release, risk)?.clone();
        let changed = changed(release, &before, &request)?;
        let details = json!({
            "id": before.id, "description": before.description,
            "from": difference(&before, &changed, &before), "to": difference(&before, &changed, &changed),
        });
        if let Some(incident) = &changed.incident
            && let Some(linked) = release.incidents.iter_mut().find(|i| &i.id == incident)
        {
            linked.risk = Some(changed.id.clone());
        }
        if let Some(entry) = release.risk_log.iter_mut().find(|r| r.id == before.id) {
            *entry = changed;
        }
        Ok(TimelineEvent {
            comment: Some(reason.clone()),
            details: Some(details),
            ..TimelineEvent::new(now, EventKind::RiskUpdated, &actor)
        })
    })
    .await
}

/// The risk `id` of `release`'s log, or a 422 naming the ids it has.
pub(super) fn find<'a>(release: &'a Release, id: &str) -> Result<&'a LoggedRisk, ServiceError> {
    release.risk(id).ok_or_else(|| {
        let known: Vec<&str> = release.risk_log.iter().map(|r| r.id.as_str()).collect();
        ServiceError::invalid(
            "risk",
            format!("the risk log has no risk {id:?}; its risks are {known:?}"),
        )
    })
}

/// `before` with `request` applied, or the 422 of a step the risk cannot take, an
/// incident that is not the release's, or a text that does not fit.
fn changed(
    release: &Release,
    before: &LoggedRisk,
    request: &RiskChange,
) -> Result<LoggedRisk, ServiceError> {
    let mut after = before.clone();
    if let Some(to) = request.status {
        check_step(before.status, to)?;
        after.status = to;
    }
    let occurring = request.status == Some(RiskStatus::Occurred);
    match (&request.incident, occurring) {
        (None, true) => {
            return Err(ServiceError::invalid(
                "incident",
                "an occurred risk names the incident it became: log the incident first (or log it with `risk`)",
            ));
        }
        (Some(_), false) => {
            return Err(ServiceError::invalid(
                "incident",
                "only a risk becoming occurred names an incident",
            ));
        }
        (Some(incident), true) => {
            let Some(found) = release.incident(incident) else {
                let known: Vec<&str> = release.incidents.iter().map(|i| i.id.as_str()).collect();
                return Err(ServiceError::invalid(
                    "incident",
                    format!(
                        "the release has no incident {incident:?}; its incidents are {known:?}"
                    ),
                ));
            };
            if let Some(other) = &found.risk {
                return Err(ServiceError::invalid(
                    "incident",
                    format!("{incident} is already the occurrence of {other}"),
                ));
            }
            after.incident = Some(incident.clone());
        }
        (None, false) => {}
    }
    after.likelihood = request.likelihood.unwrap_or(after.likelihood);
    after.impact = request.impact.unwrap_or(after.impact);
    if let Some(mitigation) = &request.mitigation {
        after.mitigation.clone_from(mitigation);
    }
    if let Some(owner) = &request.owner {
        after.owner.clone_from(owner);
    }
    let errors = risk_log::check_texts(&after);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    if after == *before {
        return Err(ServiceError::invalid(
            "status",
            format!(
                "{} already is as the request says: nothing changes",
                before.id
            ),
        ));
    }
    Ok(after)
}

/// A 422 naming `status` when a risk cannot go from `from` to `to`.
pub(super) fn check_step(from: RiskStatus, to: RiskStatus) -> Result<(), ServiceError> {
    if from.can_become(to) {
        return Ok(());
    }
    let next: Vec<&str> = from.next().into_iter().map(RiskStatus::as_str).collect();
    Err(ServiceError::invalid(
        "status",
        format!(
            "a risk that is {} cannot become {}: {}",
            from.as_str(),
            to.as_str(),
            match (next.is_empty(), from == to) {
                (true, _) => "an occurred risk is final (its incident carries on)".to_owned(),
                (_, true) => "it already is".to_owned(),
                _ => format!("it can become {next:?}"),
            }
        ),
    ))
}

/// The fields of `pick` (one of `before` and `after`) that differ between them.
fn difference(
    before: &LoggedRisk,
    after: &LoggedRisk,
    pick: &LoggedRisk,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    if before.status != after.status {
        out.insert("status".into(), json!(pick.status));
    }
    if before.incident != after.incident {
        out.insert("incident".into(), json!(pick.incident));
    }
    if before.likelihood != after.likelihood {
        out.insert("likelihood".into(), json!(pick.likelihood));
    }
    if before.impact != after.impact {
        out.insert("impact".into(), json!(pick.impact));
    }
    if before.mitigation != after.mitigation {
        out.insert("mitigation".into(), json!(pick.mitigation));
    }
    if before.owner != after.owner {
        out.insert("owner".into(), json!(pick.owner));
    }
    out
}
