//! The scheduler: starts approved releases at `start_at`, sends the announcement at
//! `announce_at`, announces tasks open past their due date (`task_overdue`, once per
//! due date), and advances `ramped` releases when a stage's bake time is over — never
//! inside a maintenance window (it waits for the window's end).
//!
//! It keeps no state of its own: every pass reads the releases from the store and does
//! what is due at the injected clock's "now", so a restart (or another replica) picks
//! up exactly where things stand. One replica schedules at a time (the `scheduler`
//! lease, taken only while some release has something scheduled), and every action is
//! guarded by the version of the release the decision was made on and fenced by the
//! lease: a stage is never advanced twice, by two replicas or by one that lost its
//! lease mid-pass. It acts through the same functions as people, as the actor
//! `system:scheduler`, and each action lands on the timeline.
//!
//! It wakes when a release changes, when the manual clock moves (tests), and otherwise
//! when the next thing is due on the system clock.

use std::sync::Arc;
use std::time::Duration;

use rollgate_core::release::{ReleaseState, Strategy};
use time::OffsetDateTime;
use tokio::sync::watch;

use super::lease::Lease;
use crate::infra::store::Check;
use crate::service::releases::{
    Action, ActionRequest, Actor, Automation, EventKind, Stored, actions, read_all, run_with,
};
use crate::service::{App, IfMatch, ServiceError};

/// The scheduler's name on timelines, in the audit log and as its lease.
pub(crate) const TASK: &str = "scheduler";

/// Longest sleep between passes (a nudge ends it earlier).
const IDLE: Duration = Duration::from_secs(60);

/// Runs until `shutdown` flips.
pub(crate) async fn run_scheduler(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut lease = Lease::of_task(&app, TASK);
    loop {
        let now = app.clock.now();
        let next = match tick(&app, &mut lease, now).await {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "scheduler pass failed; retrying");
                app.metrics.task_errors.with_label_values(&[TASK]).inc();
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

/// Does everything due at `now` while holding the lease; returns when something is next
/// due (or the lease must be renewed).
pub(crate) async fn tick(
    app: &App,
    lease: &mut Lease,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ServiceError> {
    let releases = read_all(app).await?;
    if !releases.iter().any(has_schedule) {
        return Ok(None);
    }
    if let Err(error) = lease.refresh(now).await {
        tracing::warn!(%error, "scheduler lease could not be renewed");
    }
    let mut next = Next(lease.next_refresh());
    let Some(fence) = lease.fence(now) else {
        return Ok(next.0);
    };
    for stored in &releases {
        match due(app, stored, now, &fence, &mut next).await {
            Ok(()) => {}
            // Another replica or a person acted first: the next pass sees what they did.
            Err(ServiceError::VersionConflict { .. } | ServiceError::LeaseLost { .. }) => {}
            Err(error) => {
                tracing::warn!(release = stored.release.id, %error, "scheduled action failed");
            }
        }
    }
    Ok(next.0)
}

/// Whether the scheduler has anything to do for `stored`, now or later.
fn has_schedule(stored: &Stored) -> bool {
    let release = &stored.release;
    let schedule = &release.plan.schedule;
    let announce = schedule.announce_at.is_some()
        && release.announced_at.is_none()
        && matches!(
            release.state,
            ReleaseState::Approved | ReleaseState::Running | ReleaseState::Paused
        );
    let start = release.state == ReleaseState::Approved && schedule.start_at.is_some();
    let ramp = release.state == ReleaseState::Running && release.plan.strategy == Strategy::Ramped;
    let tasks_due = !release.state.is_terminal()
        && release
            .plan
            .tasks
            .iter()
            .any(|t| t.due.is_some() && !t.status.is_closed());
    announce || start || ramp || tasks_due
}

/// The earliest of the times offered.
struct Next(Option<OffsetDateTime>);

impl Next {
    fn offer(&mut self, at: OffsetDateTime) {
        self.0 = Some(self.0.map_or(at, |n| n.min(at)));
    }
}

/// Does what is due for `stored` at `now`: each write is made on the version read and
/// fenced by the lease.
async fn due(
    app: &App,
    stored: &Stored,
    now: OffsetDateTime,
    fence: &Check,
    next: &mut Next,
) -> Result<(), ServiceError> {
    let release = &stored.release;
    let scheduler = Actor::system(TASK);
    let mut version = stored.version;
    let fenced = || Automation {
        checks: vec![fence.clone()],
        ..Automation::default()
    };
    let schedule = &release.plan.schedule;
    let announceable = matches!(
        release.state,
        ReleaseState::Approved | ReleaseState::Running | ReleaseState::Paused
    );
    if let (Some(at), None, true) = (schedule.announce_at, release.announced_at, announceable) {
        if at <= now {
            let checks = vec![fence.clone()];
            version = actions::announce(app, &scheduler, &release.id, version, checks).await?;
        } else {
            next.offer(at);
        }
    }
    if !release.state.is_terminal() {
        if actions::unannounced_overdue(release, now).is_empty() {
            let open = release.plan.tasks.iter().filter(|t| !t.status.is_closed());
            if let Some(due) = open.filter_map(|t| t.due).filter(|d| *d > now).min() {
                next.offer(due);
            }
        } else {
            let checks = vec![fence.clone()];
            version =
                actions::announce_overdue(app, &scheduler, &release.id, version, checks).await?;
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
            match run_with(
                app,
                &scheduler,
                &release.id,
                Action::Start,
                comment_only(comment),
                Some(IfMatch::Version(version)),
                fenced(),
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
                        let checks = vec![fence.clone()];
                        let id = &release.id;
                        actions::note_blocked(app, &scheduler, id, detail, version, checks).await?;
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
            run_with(
                app,
                &scheduler,
                &release.id,
                Action::Promote,
                comment_only(comment),
                Some(IfMatch::Version(version)),
                fenced(),
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
        ..ActionRequest::default()
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
