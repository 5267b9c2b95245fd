//! The rollback record: after a rollback's write is served, a `rollback_propagated`
//! event says which store revision put the flags back to control, when it was written
//! and served, and how many connected SDK streams had received it.

use serde_json::json;

use super::{Actor, EventKind, Guarded, Release, Saved, Stored, TimelineEvent, save_guarded};
use crate::admin::WithVersion;
use crate::state::App;
use crate::store::Check;

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
            "sdk_streams": serde_json::Value::Null,
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
