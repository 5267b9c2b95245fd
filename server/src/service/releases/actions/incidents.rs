//! Tracked incidents: logged with what happened, what was done, a severity and an owner
//! (and the risk of the log it was, which becomes `occurred` in the same commit), then
//! managed day to day — status `open → mitigated → resolved` by the steps
//! [`IncidentStatus::can_become`] allows, severity, owner, and each action taken with
//! its time. Allowed in every state: an issue outlives the rollout that caused it.
//! Approvals are never touched.

use rollgate_core::release::risk_log::{self, MAX_ENTRIES, MAX_OWNER};
use rollgate_core::release::{IncidentStatus, RiskStatus, Severity};
use rollgate_core::validate::{Lines, check_text};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::incidents::{Incident, IncidentAction};
use super::super::risks::seed_from_plan;
use super::super::{Actor, EventKind, Release, TimelineEvent, bodies};
use super::annotations::{annotate, open_items, request_of};
use super::risks::{check_step, find};
use crate::service::App;
use crate::service::Principal;
use crate::service::{IfMatch, ServiceError, WithVersion};

/// `POST /api/v1/releases/{id}/incidents`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncidentRequest {
    /// What happened.
    pub what: String,
    /// What was done about it (the first action taken).
    pub action: String,
    /// How bad: `low`, `medium` (when left out), `high` or `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Who sees it through (the caller when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The risk of the log that occurred (it becomes `occurred`, naming this incident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

/// `POST /api/v1/releases/{id}/incidents/{incident}`: what changes, each optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncidentChange {
    /// The new status: `open`, `mitigated` or `resolved` (final).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    /// The new severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The new owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// An action taken, recorded with its time and author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// Logs an incident: what happened and what was done, how bad, who owns it.
pub(crate) async fn log_incident(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: IncidentRequest = request_of(app, principal, id, body).await?;
    let what = bodies::required("what", Some(&request.what), "say what happened")?;
    let done = bodies::required("action", Some(&request.action), "say what was done")?;
    let actor = Actor::of(principal);
    let owner = match &request.owner {
        Some(owner) => owner_of(owner)?,
        None => actor.name.clone(),
    };
    let severity = request.severity.unwrap_or_default();
    annotate(
        app,
        &actor,
        id,
        if_match,
        Vec::new(),
        "release.incident",
        |release, now| {
            if release.incidents.len() >= MAX_ENTRIES {
                return Err(ServiceError::invalid(
                    "incidents",
                    format!("the release holds {MAX_ENTRIES} incidents, the most it keeps"),
                ));
            }
            let incident_id = risk_log::nth_id("incident", release.incidents.len() + 1);
            if let Some(risk) = &request.risk {
                open_items(release)?;
                seed_from_plan(release, Some(&actor), now);
                let found = find(release, risk)?.clone();
                check_step(found.status, RiskStatus::Occurred).map_err(|e| rename(e, "risk"))?;
                release.timeline.push(TimelineEvent {
                    comment: Some(format!("it occurred: {what}")),
                    details: Some(json!({
                        "id": found.id, "description": found.description,
                        "from": { "status": found.status, "incident": null },
                        "to": { "status": RiskStatus::Occurred, "incident": incident_id },
                    })),
                    ..TimelineEvent::new(now, EventKind::RiskUpdated, &actor)
                });
                if let Some(entry) = release.risk_log.iter_mut().find(|r| r.id == found.id) {
                    entry.status = RiskStatus::Occurred;
                    entry.incident = Some(incident_id.clone());
                }
            }
            let stage = release.current_stage;
            let percent = release.position().map(|p| p.percent);
            release.incidents.push(Incident {
                id: incident_id.clone(),
                what: what.clone(),
                severity,
                owner: owner.clone(),
                status: IncidentStatus::Open,
                risk: request.risk.clone(),
                opened_by: actor.clone(),
                opened_at: now,
                stage,
                percent,
                mitigated_at: None,
                resolved_at: None,
                actions: vec![IncidentAction {
                    at: now,
                    by: actor.clone(),
                    action: done.clone(),
                }],
            });
            Ok(TimelineEvent {
                stage,
                percent,
                details: Some(json!({
                    "id": incident_id, "what": what, "action": done, "severity": severity,
                    "owner": owner, "risk": request.risk,
                })),
                ..TimelineEvent::new(now, EventKind::Incident, &actor)
            })
        },
    )
    .await
}

/// Changes incident `incident`: its status, severity or owner, and/or records an
/// action taken.
pub(crate) async fn update_incident(
    app: &App,
    principal: &Principal,
    id: &str,
    incident: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: IncidentChange = request_of(app, principal, id, body).await?;
    bodies::text("action", request.action.as_deref())?;
    let action = request
        .action
        .as_deref()
        .map(|a| bodies::required("action", Some(a), "say what was done"))
        .transpose()?;
    let owner = request.owner.as_deref().map(owner_of).transpose()?;
    if request.status.is_none() && request.severity.is_none() && owner.is_none() && action.is_none()
    {
        return Err(ServiceError::invalid(
            "status",
            "say what changes: a status, severity, owner or an action taken",
        ));
    }
    let actor = Actor::of(principal);
    annotate(
        app,
        &actor,
        id,
        if_match,
        Vec::new(),
        "release.incident",
        |release, now| {
            let Some(entry) = release.incidents.iter_mut().find(|i| i.id == incident) else {
                let known: Vec<&str> = release.incidents.iter().map(|i| i.id.as_str()).collect();
                return Err(ServiceError::invalid(
                    "incident",
                    format!(
                        "the release has no incident {incident:?}; its incidents are {known:?}"
                    ),
                ));
            };
            let from = entry.status;
            let mut details = json!({ "id": entry.id, "what": entry.what });
            if let Some(to) = request.status {
                if !from.can_become(to) {
                    let next: Vec<&str> = from
                        .next()
                        .into_iter()
                        .map(IncidentStatus::as_str)
                        .collect();
                    return Err(ServiceError::invalid(
                        "status",
                        format!(
                            "a {} incident cannot become {}: {}",
                            from.as_str(),
                            to.as_str(),
                            match (next.is_empty(), from == to) {
                                (true, _) =>
                                    "resolved is final; if it comes back, log a new incident"
                                        .to_owned(),
                                (_, true) => "it already is".to_owned(),
                                _ => format!("it can become {next:?}"),
                            }
                        ),
                    ));
                }
                entry.status = to;
                match to {
                    IncidentStatus::Mitigated => entry.mitigated_at = Some(now),
                    IncidentStatus::Resolved => entry.resolved_at = Some(now),
                    IncidentStatus::Open => {}
                }
                details["from"] = json!(from);
                details["to"] = json!(to);
            }
            if let Some(severity) = request.severity {
                details["severity"] = json!({ "from": entry.severity, "to": severity });
                entry.severity = severity;
            }
            if let Some(owner) = &owner {
                details["owner"] = json!({ "from": entry.owner, "to": owner });
                entry.owner.clone_from(owner);
            }
            if let Some(action) = &action {
                details["action"] = json!(action);
                entry.actions.push(IncidentAction {
                    at: now,
                    by: actor.clone(),
                    action: action.clone(),
                });
            }
            Ok(TimelineEvent {
                stage: release.current_stage,
                percent: release.position().map(|p| p.percent),
                details: Some(details),
                ..TimelineEvent::new(now, EventKind::IncidentUpdated, &actor)
            })
        },
    )
    .await
}

/// An owner's name as sent: one line of at most [`MAX_OWNER`] bytes, not blank.
fn owner_of(owner: &str) -> Result<String, ServiceError> {
    if owner.len() > MAX_OWNER {
        return Err(ServiceError::invalid(
            "owner",
            format!("must be at most {MAX_OWNER} bytes, got {}", owner.len()),
        ));
    }
    check_text(owner, Lines::One).map_err(|message| ServiceError::invalid("owner", message))?;
    match owner.trim() {
        "" => Err(ServiceError::invalid("owner", "must name someone")),
        name => Ok(name.to_owned()),
    }
}

/// `error` with its field renamed (a risk's status step, refused as the `risk` named).
fn rename(error: ServiceError, field: &str) -> ServiceError {
    match error {
        ServiceError::Invalid(errors) => ServiceError::Invalid(
            errors
                .into_iter()
                .map(|e| rollgate_core::FieldError::new(field, e.message))
                .collect(),
        ),
        other => other,
    }
}
