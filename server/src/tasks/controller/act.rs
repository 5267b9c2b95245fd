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
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The decision was applied.
    Applied(Verdict),
    /// The release changed in between (a person acted, or the lease moved): dropped.
    Dropped(String),
    /// Nothing to analyse (not running, no analysis, no cohort).
    Skipped,
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

/// This interval's observations of a release, from the plan's Prometheus (or the
/// server's); `None` when there is nothing to observe (no analysis, no stage standing,
/// no cohorts).
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
    let url = analysis
        .prometheus_url
        .as_deref()
        .or(app.settings.prometheus_url.as_deref());
    Some(observe(client, url, release, analysis, &cohorts, standing, now).await)
}

/// What the controller does with a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Work {
    /// Analyse and decide.
    Analyse,
    /// See whether Prometheus answers again.
    Probe,
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
    let Some(observations) = observe_release(app, client, stored, now).await else {
        return Ok(Outcome::Skipped);
    };
    match work {
        Work::Analyse => analyse(app, stored, fence, &observations, now).await,
        Work::Probe => probe(app, stored, fence, &observations).await,
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
        acknowledge: None,
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
                acknowledge: None,
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
        acknowledge: None,
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
fn settle(result: Result<Verdict, ServiceError>, id: &str) -> Result<Outcome, ServiceError> {
    match result {
        Ok(verdict) => Ok(Outcome::Applied(verdict)),
        Err(ServiceError::VersionConflict { .. }) => {
            let why = "the release changed since it was read (a person acted first)".to_owned();
            tracing::info!(release = id, "controller decision dropped: {why}");
            Ok(Outcome::Dropped(why))
        }
        Err(
            lost @ (ServiceError::Conflict(_)
            | ServiceError::Refused(_)
            | ServiceError::LeaseLost { .. }),
        ) => {
            let why = lost.to_string();
            tracing::info!(release = id, "controller decision dropped: {why}");
            Ok(Outcome::Dropped(why))
        }
        Err(other) => Err(other),
    }
}

fn clip(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
