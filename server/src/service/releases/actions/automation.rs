//! What the canary controller adds to the actions people take: the fence on its
//! lease, the analysis progress, the record that justified the action — and the
//! `analysis` event it leaves when it only holds the stage.

use rollgate_core::analysis::Progress;

use super::super::{
    EventKind, Guarded, Release, TimelineEvent, check_if_match, load, save_guarded,
};
use super::Actor;
use crate::infra::store::Check;
use crate::service::App;
use crate::service::{IfMatch, ServiceError, WithVersion};

/// What the canary controller adds to an action it takes: the fence on its lease, the
/// analysis progress to keep, and the record that justified the action (put on the
/// action's event).
#[derive(Clone, Debug, Default)]
pub(crate) struct Automation {
    /// Conditions the write must meet (the lease at the version held).
    pub checks: Vec<Check>,
    /// The analysis progress to store with the release.
    pub progress: Option<Progress>,
    /// The analysis record, as JSON.
    pub analysis: Option<serde_json::Value>,
}

/// Records an analysis that held the stage: an `analysis` event with the record, and
/// the progress — only if the release is still at `version` (a person's action in
/// between wins) and the write meets `automation.checks`. Not audited: the timeline is
/// the record.
pub(crate) async fn record_analysis(
    app: &App,
    actor: &Actor,
    id: &str,
    version: u64,
    reason: String,
    automation: Automation,
) -> Result<WithVersion<Release>, ServiceError> {
    let if_match = Some(IfMatch::Version(version));
    let stored = load(app, id).await?;
    check_if_match(&stored, if_match)?;
    let now = app.clock.now();
    let mut next = stored.release.clone();
    next.timeline.push(TimelineEvent {
        stage: next.current_stage,
        percent: next.position().map(|p| p.percent),
        comment: Some(reason),
        analysis: automation.analysis,
        ..TimelineEvent::new(now, EventKind::Analysis, actor)
    });
    if let Some(progress) = automation.progress {
        next.analysis_progress = Some(progress);
    }
    let guarded = Guarded {
        checks: automation.checks,
        audited: false,
    };
    save_guarded(
        app,
        actor,
        "release.analysis",
        Some(&stored),
        next,
        Vec::new(),
        if_match,
        guarded,
    )
    .await
    .map(|saved| saved.release)
}
