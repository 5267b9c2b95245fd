//! The owner's answer on a resource: commit it, or decline it with a reason — only the
//! member of the release group the plan names as its owner (by the token that acts for
//! them), in any state but the terminal ones, never touching approvals. Each answer is
//! an event on the timeline and replaces the previous one.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::bodies;
use super::super::commitments::{Commitment, CommitmentStatus};
use super::super::{Actor, EventKind, Release, TimelineEvent};
use super::annotations::{annotate, open_items, request_of};
use crate::service::App;
use crate::service::Forbidden;
use crate::service::Principal;
use crate::service::{IfMatch, ServiceError, WithVersion};

/// `POST /api/v1/releases/{id}/resources/{index}/commit` or `…/decline`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommitmentRequest {
    /// Why it is declined (required to decline), or a remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Commits (or declines) resource `index` as its owner.
pub(crate) async fn answer(
    app: &App,
    principal: &Principal,
    id: &str,
    index: usize,
    status: CommitmentStatus,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: CommitmentRequest = request_of(app, principal, id, body).await?;
    let reason = match status {
        CommitmentStatus::Declined => Some(bodies::required(
            "reason",
            request.reason.as_deref(),
            "say why the resource cannot be committed",
        )?),
        CommitmentStatus::Committed => {
            bodies::text("reason", request.reason.as_deref())?;
            request.reason.clone()
        }
    };
    let actor = Actor::of(principal);
    annotate(
        app,
        &actor,
        id,
        if_match,
        Vec::new(),
        "release.resource",
        |release, now| {
            open_items(release)?;
            let count = release.plan.resources.len();
            let Some(resource) = release.plan.resources.get(index).cloned() else {
                return Err(ServiceError::invalid(
                    format!("resources[{index}]"),
                    format!("no such resource; the plan has {count} resource(s), numbered from 0"),
                ));
            };
            let owner = release.plan.member(&resource.owner);
            if owner.is_none_or(|m| m.principal != actor.id) {
                return Err(Forbidden::NotMember {
                    who: actor.name.clone(),
                    role: format!("owner of resources[{index}] ({})", resource.owner),
                    what: "commit or decline it",
                }
                .into());
            }
            if release
                .commitment(index)
                .is_some_and(|c| c.status == status)
            {
                return Err(ServiceError::invalid(
                    "status",
                    format!("resources[{index}] is already {}", word(status)),
                ));
            }
            release.commitments.retain(|c| c.resource != index);
            release.commitments.push(Commitment {
                resource: index,
                status,
                by: actor.clone(),
                at: now,
                reason: reason.clone(),
            });
            let kind = match status {
                CommitmentStatus::Committed => EventKind::ResourceCommitted,
                CommitmentStatus::Declined => EventKind::ResourceDeclined,
            };
            Ok(TimelineEvent {
                comment: reason.clone(),
                details: Some(json!({
                    "index": index, "kind": resource.kind, "description": resource.description,
                    "amount": resource.amount, "unit": resource.unit, "owner": resource.owner,
                })),
                ..TimelineEvent::new(now, kind, &actor)
            })
        },
    )
    .await
}

fn word(status: CommitmentStatus) -> &'static str {
    match status {
        CommitmentStatus::Committed => "committed",
        CommitmentStatus::Declined => "declined",
    }
}
