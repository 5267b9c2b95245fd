//! The watch after release, as the release records it (`watch_record`): when it began
//! and ends, how it stands, what its looks carried forward — and the writes that move
//! it: a look, an alert, the end with its report addendum.
//!
//! The watch begins in the commit that completes the release (the plan sets `watch`).
//! The state stays `completed`: the release is over and its report is written as for
//! any completed release; `watch_record.status` says the watch goes on. A rollback
//! while it does (by the controller on a regression with `on_regression: rollback`, or
//! by a person) is the one move out of `completed`, into `rolled_back`; it closes the
//! watch. A closed watch gets its addendum — the KPIs measured over the watch — in one
//! commit with the `watch_ended` event, written once (`Expect::Absent`).

use rollgate_core::release::watch::{WatchProgress, ends_at};
use rollgate_core::release::{ReleaseState, Watch};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::{Actor, EventKind, Guarded, Release, Stored, TimelineEvent, WithVersion, save_guarded};
use crate::infra::store::{Check, Write};
use crate::service::{App, IfMatch, ServiceError};

/// How the watch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WatchStatus {
    /// The released variant is being watched.
    Watching,
    /// The watch ran its whole duration.
    Ended,
    /// The release was rolled back during the watch.
    RolledBack,
}

/// The watch of a completed release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WatchRecord {
    /// When the last stage completed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    /// When the watch ends (`started_at` + the plan's `watch.duration`).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: OffsetDateTime,
    /// How it stands.
    pub status: WatchStatus,
    /// When it stopped watching (its end, or the rollback).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// When the controller last looked.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_at: Option<OffsetDateTime>,
    /// What the looks carry forward (breaches in a row per check, looks, regressions).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub progress: WatchProgress,
    /// The number of the report addendum written at its close, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addendum: Option<u32>,
}

impl WatchRecord {
    /// A watch beginning at `now`.
    pub(crate) fn open(watch: &Watch, now: OffsetDateTime) -> WatchRecord {
        WatchRecord {
            started_at: now,
            ends_at: ends_at(watch, now),
            status: WatchStatus::Watching,
            closed_at: None,
            last_at: None,
            progress: WatchProgress::default(),
            addendum: None,
        }
    }

    /// The window the addendum measures: from the start to the close (or `now`).
    pub(crate) fn window(&self, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
        let to = self.closed_at.unwrap_or(now.min(self.ends_at));
        (self.started_at, to.max(self.started_at))
    }
}

/// Is `release` completed and still under watch?
pub(crate) fn is_watching(release: &Release) -> bool {
    release.state == ReleaseState::Completed
        && release
            .watch_record
            .as_ref()
            .is_some_and(|w| w.status == WatchStatus::Watching)
}

/// Closes the watch of a release being rolled back at `now`.
pub(crate) fn close_rolled_back(next: &mut Release, now: OffsetDateTime) {
    if let Some(record) = next.watch_record.as_mut()
        && record.status == WatchStatus::Watching
    {
        record.status = WatchStatus::RolledBack;
        record.closed_at = Some(now);
    }
}

/// One write of the controller to a watched release: guarded by the version it read
/// and fenced by its lease; not audited (the timeline is the record).
pub(crate) struct WatchWrite<'a> {
    /// The release as read.
    pub stored: &'a Stored,
    /// The lease check.
    pub fence: Check,
    /// When.
    pub now: OffsetDateTime,
}

impl WatchWrite<'_> {
    async fn save(
        self,
        app: &App,
        action: &str,
        next: Release,
        writes: Vec<Write>,
    ) -> Result<WithVersion<Release>, ServiceError> {
        let guarded = Guarded {
            checks: vec![self.fence],
            audited: action == "release.watch_ended",
        };
        save_guarded(
            app,
            &actor(),
            action,
            Some(self.stored),
            next,
            writes,
            Some(IfMatch::Version(self.stored.version)),
            guarded,
        )
        .await
        .map(|saved| saved.release)
    }

    /// Records one look that found no regression, with its progress.
    pub(crate) async fn look(
        self,
        app: &App,
        progress: WatchProgress,
    ) -> Result<WithVersion<Release>, ServiceError> {
        let mut next = self.stored.release.clone();
        if let Some(record) = next.watch_record.as_mut() {
            record.progress = progress;
            record.last_at = Some(self.now);
        }
        self.save(app, "release.watch_look", next, Vec::new()).await
    }

    /// Records a regression that alerts: a `watch_regression` event with why and the
    /// readings; the watch goes on.
    pub(crate) async fn alert(
        self,
        app: &App,
        progress: WatchProgress,
        reason: String,
        readings: serde_json::Value,
    ) -> Result<WithVersion<Release>, ServiceError> {
        let mut next = self.stored.release.clone();
        if let Some(record) = next.watch_record.as_mut() {
            record.progress = progress;
            record.last_at = Some(self.now);
        }
        next.timeline.push(TimelineEvent {
            comment: Some(reason),
            analysis: Some(readings),
            details: Some(json!({ "on_regression": "alert" })),
            ..TimelineEvent::new(self.now, EventKind::WatchRegression, &actor())
        });
        self.save(app, "release.watch_regression", next, Vec::new())
            .await
    }

    /// Closes the watch (ended, unless a rollback closed it) and writes its report
    /// addendum `addendum` (a `Kind::Report` write, `Expect::Absent`) in the same
    /// commit, with a `watch_ended` event.
    pub(crate) async fn end(
        self,
        app: &App,
        number: u32,
        addendum: Write,
        summary: serde_json::Value,
    ) -> Result<WithVersion<Release>, ServiceError> {
        let now = self.now;
        let mut next = self.stored.release.clone();
        if let Some(record) = next.watch_record.as_mut() {
            if record.status == WatchStatus::Watching {
                record.status = WatchStatus::Ended;
                record.closed_at = Some(record.ends_at.min(now));
            }
            record.addendum = Some(number);
        }
        next.timeline.push(TimelineEvent {
            details: Some(summary),
            ..TimelineEvent::new(now, EventKind::WatchEnded, &actor())
        });
        self.save(app, "release.watch_ended", next, vec![addendum])
            .await
    }
}

/// The controller, which keeps the watch.
fn actor() -> Actor {
    Actor::system("controller")
}
