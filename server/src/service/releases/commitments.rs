//! Commitments on a plan's resources: the owner (a member of the release group, by the
//! token that acts for them) commits or declines each resource, on the timeline, and
//! the release starts only with every resource committed. A commitment is kept beside
//! the plan, not in it, and is given for the resource as it was then: a revision that
//! changes the resource withdraws it (`commitment_withdrawn`), in the same commit.

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::{Actor, EventKind, Release, TimelineEvent};

/// The owner's answer for one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Commitment {
    /// The resource's place in the plan's `resources`, from 0.
    pub resource: usize,
    /// `committed` or `declined`.
    pub status: CommitmentStatus,
    /// Who answered.
    pub by: Actor,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Why it was declined, or a remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Committed or declined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentStatus {
    /// The owner commits the resource.
    Committed,
    /// The owner cannot commit it (with a reason).
    Declined,
}

impl Release {
    /// The answer for resource `index`, if any.
    pub(crate) fn commitment(&self, index: usize) -> Option<&Commitment> {
        self.commitments.iter().find(|c| c.resource == index)
    }

    /// The first resource not committed, with its index.
    pub(crate) fn uncommitted(&self) -> Option<usize> {
        (0..self.plan.resources.len()).find(|index| {
            self.commitment(*index)
                .is_none_or(|c| c.status != CommitmentStatus::Committed)
        })
    }
}

/// Withdraws from `next` (a revision of `current`) every commitment whose resource
/// changed, adding a `commitment_withdrawn` event for each.
pub(crate) fn withdraw_changed(
    current: &Release,
    next: &mut Release,
    actor: &Actor,
    now: OffsetDateTime,
) {
    let (kept, withdrawn): (Vec<Commitment>, Vec<Commitment>) =
        next.commitments.drain(..).partition(|c| {
            current.plan.resources.get(c.resource) == next.plan.resources.get(c.resource)
        });
    next.commitments = kept;
    for commitment in withdrawn {
        let description = current
            .plan
            .resources
            .get(commitment.resource)
            .map(|r| r.description.clone());
        next.timeline.push(TimelineEvent {
            comment: Some("the resource changed: its owner commits it again".to_owned()),
            details: Some(json!({
                "index": commitment.resource,
                "description": description,
                "was": commitment.status,
                "by": commitment.by,
            })),
            ..TimelineEvent::new(now, EventKind::CommitmentWithdrawn, actor)
        });
    }
}
