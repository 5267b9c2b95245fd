//! One analysis of one release, start to finish: observe, decide, and apply the
//! decision through the same release actions people use — as `system:controller`,
//! guarded by the release's version (a person's action in between wins and the decision
//! is dropped) and fenced by the controller's lease.
//!
//! Holds are recorded as `analysis` events; every other decision is the action itself
//! (`promote`, `pause`, `rollback`), with the record that justified it on the action's
//! event. The analysis progress travels in the same write.

use rollgate_core::analysis::decide::{Decision, Observations};
use rollgate_core::analysis::{QueryOutcome, Verdict, decide};
use rollgate_core::release::ReleaseState;
use time::OffsetDateTime;

use super::observe::{Cohorts, observe, standing};
use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::Endpoints;
use crate::infra::store::Check;
use crate::service::App;
use crate::service::releases::{
    Action, ActionRequest, Actor, Automation, EventKind, Stored, record_analysis, run_with,
};
use crate::service::{IfMatch, ServiceError};

/// The controller's name on timelines and in the audit log.
pub(crate) const COMPONENT: &str = "controller";

/// Longest reason or comment the controller writes (the release bodies' limit is 4 KiB).
const MAX_TEXT: usize = 4000;

/// What one analysis led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The decision was applied.
    Applied(Verdict),
    /// The release changed in between (a person acted, or the lease moved): dropped.
    Dropped(Dropped),
    /// Nothing to analyse (not running, no analysis, no cohort).
    Skipped,
}

/// Why a decision was dropped, read from the service error's cause. Operators see it
/// as the `cause` label of `rollgate_controller_decisions_dropped_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// The release is no longer at the version the controller read: a person acted
    /// first.
    VersionConflict,
    /// A document the action needs changed during it (the release, a released flag).
    Conflict,
    /// The release's state no longer allows the action.
    Refused,
    /// Another replica holds the controller lease now.
    LeaseLost,
}

impl Dropped {
    /// Every cause, so each label exists (at zero) from the start.
    pub(crate) const ALL: [Dropped; 4] = [
        Dropped::VersionConflict,
        Dropped::Conflict,
        Dropped::Refused,
        Dropped::LeaseLost,
    ];

    /// The cause's label value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Dropped::VersionConflict => "version_conflict",
            Dropped::Conflict => "conflict",
            Dropped::Refused => "refused",
            Dropped::LeaseLost => "lease_lost",
        }
    }
}

/// Does this release get analysed? Running, with an analysis section.
pub(crate) fn is_analysed(stored: &Stored) -> bool {
    let release = &stored.release;
    release.state == ReleaseState::Running
        && release.plan.analysis.is_some()
        && release.current_stage.is_some()
}

/// Is this a release the controller paused because Prometheus could not be queried,
/// and that nobody has touched since (a state change, or a flag switched off or on)?
/// It is resumed once queries succeed.
pub(crate) fn is_paused_for_errors(stored: &Stored) -> bool {
    let release = &stored.release;
    let controller = Actor::system(COMPONENT);
    release.state == ReleaseState::Paused
        && release.plan.analysis.is_some()
        && release
            .analysis_progress
            .as_ref()
            .is_some_and(|p| p.paused_for_errors)
        && release
            .timeline
            .iter()
            .rev()
            .find(|e| {
                e.from.is_some()
                    || e.to.is_some()
                    || matches!(e.event, EventKind::FlagDisabled | EventKind::FlagEnabled)
            })
            .is_some_and(|e| e.event == EventKind::Paused && e.by == controller)
}

/// This interval's observations of a release, from the endpoint of the settings the
/// plan names (or the default); `None` when there is nothing to observe (no analysis,
/// no stage standing, no cohorts).
async fn observe_release(
    app: &App,
    client: &PrometheusClient,
    stored: &Stored,
    now: OffsetDateTime,
) -> Option<Observations> {
    let release = &stored.release;
    let analysis = release.plan.analysis.as_ref()?;
    let standing = standing(release)?;
    let cohorts = Cohorts::of(app, release)?;
    let endpoints = Endpoints::new(&app.settings);
    let endpoint = endpoints.choose(analysis.prometheus_url.as_deref());
    Some(observe(client, endpoint, release, analysis, &cohorts, standing, now).await)
}

/// What the controller does with a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Work {
    /// Analyse and decide.
    Analyse,
    /// See whether Prometheus answers again.
    Probe,
    /// Keep the watch after release (a look, or its close).
    Watch,
}

/// Observes `stored` at `now` and does `work`: analyses a running release and applies
/// the decision, or resumes a release paused for query errors once every query answers.
/// Every write is fenced by the lease check `fence`.
pub(super) async fn run(
    app: &App,
    client: &PrometheusClient,
    stored: &Stored,
    fence: Check,
    now: OffsetDateTime,
    work: Work,
) -> Result<Outcome, ServiceError> {
    if work == Work::Watch {
        return super::after_release::run(app, client, stored, fence, now).await;
    }
    let Some(observations) = observe_release(app, client, stored, now).await else {
        return Ok(Outcome::Skipped);
    };
    match work {
        Work::Analyse => analyse(app, stored, fence, &observations, now).await,
        Work::Probe => probe(app, stored, fence, &observations).await,
        Work::Watch => Ok(Outcome::Skipped),
    }
}

/// Decides on a running release's observations and applies the decision.
async fn analyse(
    app: &App,
    stored: &Stored,
    fence: Check,
    observations: &Observations,
    now: OffsetDateTime,
) -> Result<Outcome, ServiceError> {
    let release = &stored.release;
    let (decision, progress, record) = decide(
        &release.plan,
        release.analysis_progress.as_ref(),
        observations,
        now,
    );
    let verdict = record.verdict;
    let reason = clip(&record.reason);
    let automation = Automation {
        checks: vec![fence],
        progress: Some(progress),
        analysis: Some(serde_json::to_value(&record).map_err(ServiceError::unreadable)?),
    };
    let actor = Actor::system(COMPONENT);
    let if_match = Some(IfMatch::Version(stored.version));
    let comment = |text: String| ActionRequest {
        comment: Some(text),
        reason: None,
        ..ActionRequest::default()
    };
    let result = match decision {
        Decision::Hold(_) => {
            record_analysis(app, &actor, &release.id, stored.version, reason, automation).await
        }
        Decision::Pause(_) => {
            run_with(
                app,
                &actor,
                &release.id,
                Action::Pause,
                comment(reason),
                if_match,
                automation,
            )
            .await
        }
        Decision::Rollback(_) => {
            let request = ActionRequest {
                comment: None,
                reason: Some(reason),
                ..ActionRequest::default()
            };
            run_with(
                app,
                &actor,
                &release.id,
                Action::Rollback,
                request,
                if_match,
                automation,
            )
            .await
        }
        Decision::Advance | Decision::Complete => {
            run_with(
                app,
                &actor,
                &release.id,
                Action::Promote,
                comment(reason),
                if_match,
                automation,
            )
            .await
        }
    };
    settle(result.map(|_| verdict), &release.id)
}

/// Resumes a release paused for query errors once every query of its observations
/// answered.
async fn probe(
    app: &App,
    stored: &Stored,
    fence: Check,
    observations: &Observations,
) -> Result<Outcome, ServiceError> {
    let release = &stored.release;
    let failing = observations
        .checks
        .iter()
        .flat_map(|c| &c.queries)
        .chain(
            observations
                .exposures
                .iter()
                .flat_map(|e| [&e.treatment, &e.control]),
        )
        .any(|q| matches!(q.outcome, QueryOutcome::Error { .. }));
    if failing {
        return Ok(Outcome::Skipped);
    }
    let automation = Automation {
        checks: vec![fence],
        progress: None,
        analysis: None,
    };
    let request = ActionRequest {
        comment: Some(
            "Prometheus answers again: resuming the release the controller paused for query errors; the stage bakes afresh"
                .to_owned(),
        ),
        reason: None,
        ..ActionRequest::default()
    };
    let result = run_with(
        app,
        &Actor::system(COMPONENT),
        &release.id,
        Action::Resume,
        request,
        Some(IfMatch::Version(stored.version)),
        automation,
    )
    .await;
    settle(result.map(|_| Verdict::Advance), &release.id).map(|outcome| match outcome {
        Outcome::Applied(_) => Outcome::Applied(Verdict::Hold),
        other => other,
    })
}

/// A decision that lost the race with a person (or with another replica) is dropped,
/// not an error: the release moved since it was read (a version conflict, a conflict
/// with its flags, or a state that no longer allows the action), or the lease moved.
pub(super) fn settle(
    result: Result<Verdict, ServiceError>,
    id: &str,
) -> Result<Outcome, ServiceError> {
    let cause = match &result {
        Ok(_) => None,
        Err(ServiceError::VersionConflict { .. }) => Some(Dropped::VersionConflict),
        Err(ServiceError::Conflict(_)) => Some(Dropped::Conflict),
        Err(ServiceError::Refused(_)) => Some(Dropped::Refused),
        Err(ServiceError::LeaseLost { .. }) => Some(Dropped::LeaseLost),
        Err(_) => None,
    };
    match (result, cause) {
        (Ok(verdict), _) => Ok(Outcome::Applied(verdict)),
        (Err(error), Some(cause)) => {
            tracing::info!(
                release = id,
                cause = cause.as_str(),
                "controller decision dropped: {error}"
            );
            Ok(Outcome::Dropped(cause))
        }
        (Err(error), None) => Err(error),
    }
}

pub(super) fn clip(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::store::Kind;
    use crate::service::{Conflict, Refusal};

    fn cause(error: ServiceError) -> Result<Outcome, ServiceError> {
        settle(Err(error), "rel-1")
    }

    #[test]
    fn a_decision_that_lost_a_race_is_dropped_with_its_cause() {
        let conflict = ServiceError::VersionConflict {
            kind: Kind::Release,
            key: "rel-1".to_owned(),
            expected: 3,
            current: Some(4),
        };
        assert_eq!(
            cause(conflict).ok(),
            Some(Outcome::Dropped(Dropped::VersionConflict))
        );
        let lost = ServiceError::LeaseLost {
            lease: "controller".to_owned(),
        };
        assert_eq!(cause(lost).ok(), Some(Outcome::Dropped(Dropped::LeaseLost)));
        let changed = ServiceError::Conflict(Conflict::ReleaseChanged("rel-1".to_owned()));
        assert_eq!(
            cause(changed).ok(),
            Some(Outcome::Dropped(Dropped::Conflict))
        );
        let refused = ServiceError::Refused(Refusal::NotStarted);
        assert_eq!(
            cause(refused).ok(),
            Some(Outcome::Dropped(Dropped::Refused))
        );
    }

    #[test]
    fn other_failures_stay_errors_and_successes_are_applied() {
        let unavailable = ServiceError::StoreUnavailable("down".to_owned());
        assert!(matches!(
            cause(unavailable),
            Err(ServiceError::StoreUnavailable(_))
        ));
        assert_eq!(
            settle(Ok(Verdict::Advance), "rel-1").ok(),
            Some(Outcome::Applied(Verdict::Advance))
        );
    }

    #[test]
    fn every_cause_has_its_own_label() {
        let labels: std::collections::BTreeSet<_> =
            Dropped::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(labels.len(), Dropped::ALL.len());
    }
}
