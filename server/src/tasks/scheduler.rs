//! The scheduler: starts approved releases at `start_at`, sends the announcement at
//! `announce_at`, and advances `ramped` releases when a stage's bake time is over —
//! never inside a maintenance window (it waits for the window's end).
//!
//! It keeps no state of its own: every pass reads the releases from the store and does
//! what is due at the injected clock's "now", so a restart (or another replica) picks
//! up exactly where things stand; the actions themselves are guarded by the release's
//! version, so doing one twice is impossible. It acts through the same functions as
//! people, as the actor `system:scheduler`, and each action lands on the timeline.
//!
//! It wakes when a release changes, when the manual clock moves (tests), and otherwise
//! when the next thing is due on the system clock.

use std::sync::Arc;
use std::time::Duration;

use rollgate_core::release::{ReleaseState, Strategy};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::service::App;
use crate::service::ServiceError;
use crate::service::releases::{
    Action, ActionRequest, Actor, EventKind, Stored, actions, read_all, run,
};

/// Longest sleep between passes (a nudge ends it earlier).
const IDLE: Duration = Duration::from_secs(60);

/// Runs until `shutdown` flips.
pub(crate) async fn run_scheduler(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now = app.clock.now();
        let next = match tick(&app, now).await {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "scheduler pass failed; retrying");
                Some(now + time::Duration::SECOND)
            }
        };
        app.wake.scheduled_up_to(now);
        let sleep = app.sleep_until(next, IDLE);
        tokio::select! {
            _ = app.wake.scheduler.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Does everything due at `now`; returns when something is next due.
pub(crate) async fn tick(
    app: &App,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ServiceError> {
    let mut next = Next(None);
    for stored in read_all(app).await? {
        if let Err(error) = due(app, &stored, now, &mut next).await {
            tracing::warn!(release = stored.release.id, %error, "scheduled action failed");
        }
    }
    Ok(next.0)
}

/// The earliest of the times offered.
struct Next(Option<OffsetDateTime>);

impl Next {
    fn offer(&mut self, at: OffsetDateTime) {
        self.0 = Some(self.0.map_or(at, |n| n.min(at)));
    }
}

async fn due(
    app: &App,
    stored: &Stored,
    now: OffsetDateTime,
    next: &mut Next,
) -> Result<(), ServiceError> {
    let release = &stored.release;
    let scheduler = Actor::system("scheduler");
    let schedule = &release.plan.schedule;
    let announceable = matches!(
        release.state,
        ReleaseState::Approved | ReleaseState::Running | ReleaseState::Paused
    );
    if let (Some(at), None, true) = (schedule.announce_at, release.announced_at, announceable) {
        if at <= now {
            actions::announce(app, &scheduler, &release.id).await?;
        } else {
            next.offer(at);
        }
    }
    if let Some(end) = schedule.maintenance_end(now) {
        next.offer(end);
        return Ok(());
    }
    match (release.state, release.plan.strategy) {
        (ReleaseState::Approved, _) => {
            let Some(at) = schedule.start_at else {
                return Ok(());
            };
            if at > now {
                next.offer(at);
                return Ok(());
            }
            let comment = format!("scheduled start ({})", rfc3339(at));
            match run(
                app,
                &scheduler,
                &release.id,
                Action::Start,
                comment_only(comment),
                None,
            )
            .await
            {
                Ok(_) => {}
                // Not ready to start (or a person acted first): noted once on the timeline.
                Err(blocked @ (ServiceError::Conflict(_) | ServiceError::Refused(_))) => {
                    let detail = blocked.to_string();
                    let noted = release.timeline.last().is_some_and(|e| {
                        e.event == EventKind::StartBlocked && e.comment.as_deref() == Some(&detail)
                    });
                    if !noted {
                        actions::note_blocked(app, &scheduler, &release.id, detail).await?;
                    }
                }
                Err(other) => return Err(other),
            }
        }
        (ReleaseState::Running, Strategy::Ramped) => {
            let (Some(stage), Some(since)) = (release.current_stage, release.stage_started_at)
            else {
                return Ok(());
            };
            let bake = release.plan.stages.get(stage).and_then(|s| s.bake);
            let over = since + bake.map_or(time::Duration::ZERO, |b| b.to_time());
            if over > now {
                next.offer(over);
                return Ok(());
            }
            let comment = match bake {
                Some(bake) => format!("bake time of stage {stage} ({bake}) is over"),
                None => format!("stage {stage} has no bake time"),
            };
            run(
                app,
                &scheduler,
                &release.id,
                Action::Promote,
                comment_only(comment),
                None,
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

fn comment_only(comment: String) -> ActionRequest {
    ActionRequest {
        comment: Some(comment),
        reason: None,
        acknowledge: None,
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
