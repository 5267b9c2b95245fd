//! The rollback record: after a rollback's write is served, a `rollback_propagated`
//! event says which store revision put the flags back to control, when it was written
//! and served, and how many connected SDK streams had received it (had the change
//! written to their connection) — waiting at most [`STREAM_WAIT`] for them.

use std::time::Duration;

use serde_json::json;

use super::{Actor, EventKind, Guarded, Release, Saved, Stored, TimelineEvent, save_guarded};
use crate::infra::store::Check;
use crate::service::App;
use crate::service::WithVersion;

/// Longest wait for the connected SDK streams to be handed the rollback (the target for
/// a rollback reaching everyone is one second).
pub(crate) const STREAM_WAIT: Duration = Duration::from_secs(1);

/// Appends the record to the rolled-back release. The rollback itself is done either
/// way: if the record cannot be written (the release changed in between, the lease was
/// lost) that is logged and the release is returned as rolled back.
pub(super) async fn record(
    app: &App,
    actor: &Actor,
    saved: Saved,
    checks: Vec<Check>,
) -> WithVersion<Release> {
    let served_at = app.clock.now();
    let environment = &saved.release.doc.plan.environment;
    let started = tokio::time::Instant::now();
    let delivered = app
        .hub
        .streams()
        .delivered_within(environment, saved.revision, STREAM_WAIT)
        .await;
    let stored = Stored {
        release: saved.release.doc.clone(),
        version: saved.release.version,
    };
    let mut next = stored.release.clone();
    next.timeline.push(TimelineEvent {
        stage: next.current_stage,
        percent: next.position().map(|p| p.percent),
        details: Some(json!({
            "revision": saved.revision,
            "written_at": rfc3339(saved.at),
            "served_at": rfc3339(served_at),
            "sdk_streams": delivered,
            "streams_waited_ms": started.elapsed().as_millis() as u64,
        })),
        ..TimelineEvent::new(served_at, EventKind::RollbackPropagated, actor)
    });
    let guarded = Guarded {
        checks,
        audited: false,
    };
    match save_guarded(
        app,
        actor,
        "release.rollback_propagated",
        Some(&stored),
        next,
        Vec::new(),
        None,
        guarded,
    )
    .await
    {
        Ok(recorded) => recorded.release,
        Err(error) => {
            tracing::warn!(release = stored.release.id, %error, "the rollback is done but its propagation record was not written");
            saved.release
        }
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
