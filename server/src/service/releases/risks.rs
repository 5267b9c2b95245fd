//! The risk log as a release keeps it: seeded from the plan's `risks` when the release
//! is created (silently: the plan is on the `created` event) and when a revision adds a
//! risk the log lacks (a `risk_added` event each). Changes go through the log's own
//! actions (`actions/risks.rs`), never through the plan.

use rollgate_core::release::risk_log;
use serde_json::json;
use time::OffsetDateTime;

use super::{Actor, EventKind, Release, TimelineEvent};

/// Adds to `release`'s log the plan's risks it lacks, each with a `risk_added` event by
/// `announced_by` (none at creation).
pub(crate) fn seed_from_plan(
    release: &mut Release,
    announced_by: Option<&Actor>,
    now: OffsetDateTime,
) {
    let added = risk_log::seed(&release.plan.risks, &release.risk_log);
    for risk in added {
        if let Some(actor) = announced_by {
            release.timeline.push(TimelineEvent {
                comment: Some("added to the plan".to_owned()),
                details: Some(json!({ "id": risk.id, "risk": risk })),
                ..TimelineEvent::new(now, EventKind::RiskAdded, actor)
            });
        }
        release.risk_log.push(risk);
    }
}

impl Release {
    /// The risk log as it stands, with any of the plan's risks not seeded yet (a
    /// release stored before the log existed).
    pub(crate) fn risk_log_now(&self) -> Vec<rollgate_core::release::LoggedRisk> {
        let mut log = self.risk_log.clone();
        log.extend(risk_log::seed(&self.plan.risks, &self.risk_log));
        log
    }

    /// The risk `id` of the log, if the release has it.
    pub(crate) fn risk(&self, id: &str) -> Option<&rollgate_core::release::LoggedRisk> {
        self.risk_log.iter().find(|r| r.id == id)
    }
}
