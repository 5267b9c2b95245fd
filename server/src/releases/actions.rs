//! The actions of a release's life. Each one checks its guards, moves the state
//! through `rollgate_core::release::transition`, records one or more timeline events
//! (who, when, why) and writes the release with the flags it changes in one commit.
//!
//! Guards beyond the state machine: only a release manager (or admin) acts; the author
//! does not approve their own release, and nobody approves twice; a release starts
//! only with its checklist done, its approvals in, its plan still valid and none of its
//! flags driven by another release; percentages never go down (roll back instead).

use rollgate_core::FieldError;
use rollgate_core::analysis::Progress;
use rollgate_core::release::{
    Percent, Position, ReleaseState, Step, Strategy, transition, validate_plan,
};
use serde_json::json;

use super::bodies::{self, ActionRequest, ChecklistRequest, IncidentRequest, PercentRequest};
use super::rollout::{CurrentFlags, Target, conflict_from, flag_writes};
use super::{
    Actor, Approval, Documents, EventKind, Guarded, Release, TimelineEvent, check_if_match,
    conflict, flags_in_other_releases, load, propagation, save, save_guarded,
};
use crate::admin::{IfMatch, ServiceError, WithVersion};
use crate::auth::{AuthError, Principal, Role, require_role};
use crate::state::App;
use crate::store::{Check, Write};

/// The actions of `POST /api/v1/releases/{id}/{action}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Ask for approval.
    Submit,
    /// Approve (four eyes).
    Approve,
    /// Apply the first stage.
    Start,
    /// Stop advancing.
    Pause,
    /// Advance again.
    Resume,
    /// Apply the next stage now (or complete after the last).
    Promote,
    /// Every flag back to control (reason required).
    Rollback,
    /// Withdraw before starting.
    Cancel,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 8] = [
        Action::Submit,
        Action::Approve,
        Action::Start,
        Action::Pause,
        Action::Resume,
        Action::Promote,
        Action::Rollback,
        Action::Cancel,
    ];

    /// The action's name in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Start => "start",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Promote => "promote",
            Action::Rollback => "rollback",
            Action::Cancel => "cancel",
        }
    }

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Runs `action` for a caller.
pub async fn act(
    app: &App,
    principal: &Principal,
    id: &str,
    action: Action,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let request: ActionRequest = bodies::read(body)?;
    run(app, &Actor::of(principal), id, action, request, if_match).await
}

/// Runs `action` for any actor (people through [`act`], the scheduler directly).
pub async fn run(
    app: &App,
    actor: &Actor,
    id: &str,
    action: Action,
    request: ActionRequest,
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    run_with(
        app,
        actor,
        id,
        action,
        request,
        if_match,
        Automation::default(),
    )
    .await
}

/// What the canary controller adds to an action it takes: the fence on its lease, the
/// analysis progress to keep, and the record that justified the action (put on the
/// action's event).
#[derive(Clone, Debug, Default)]
pub struct Automation {
    /// Conditions the write must meet (the lease at the version held).
    pub checks: Vec<Check>,
    /// The analysis progress to store with the release.
    pub progress: Option<Progress>,
    /// The analysis record, as JSON.
    pub analysis: Option<serde_json::Value>,
}

/// [`run`] with what an automatic action adds.
pub async fn run_with(
    app: &App,
    actor: &Actor,
    id: &str,
    action: Action,
    request: ActionRequest,
    if_match: Option<IfMatch>,
    automation: Automation,
) -> Result<WithVersion<Release>, ServiceError> {
    bodies::text("comment", request.comment.as_deref())?;
    let stored = load(app, id).await?;
    check_if_match(&stored, if_match)?;
    let now = app.clock.now();
    let current = &stored.release;
    let mut next = current.clone();
    let event = |kind: EventKind| TimelineEvent {
        comment: request.comment.clone(),
        ..TimelineEvent::new(now, kind, actor)
    };
    let mut flags: Vec<Write> = Vec::new();
    match action {
        Action::Submit => {
            let to = step(
                current,
                Step::Submit {
                    approved: current.approvals_complete(),
                },
            )?;
            next.state = to;
            next.timeline.push(TimelineEvent {
                from: Some(current.state),
                to: Some(ReleaseState::PendingApproval),
                ..event(EventKind::Submitted)
            });
            if to == ReleaseState::Approved {
                next.timeline.push(TimelineEvent {
                    from: Some(ReleaseState::PendingApproval),
                    to: Some(to),
                    comment: Some("the plan requires no approval".to_owned()),
                    ..TimelineEvent::new(now, EventKind::Approved, actor)
                });
            }
        }
        Action::Approve => {
            step(current, Step::Approve { approved: false })?;
            if actor.id == current.author.id {
                return Err(ServiceError::Auth(AuthError::Forbidden(
                    "four eyes: the author of a release cannot approve it; another release manager must"
                        .to_owned(),
                )));
            }
            if current.approvals.iter().any(|a| a.by.id == actor.id) {
                return Err(conflict(
                    format!("{} has already approved this release", actor.name),
                    "approvals",
                ));
            }
            next.approvals.push(Approval {
                by: actor.clone(),
                at: now,
                comment: request.comment.clone(),
            });
            let to = step(
                current,
                Step::Approve {
                    approved: next.approvals_complete(),
                },
            )?;
            next.state = to;
            next.timeline.push(TimelineEvent {
                details: Some(json!({
                    "approvals": next.approval_count(),
                    "required": next.plan.approvals_required,
                })),
                ..event(EventKind::ApprovalGiven)
            });
            if to == ReleaseState::Approved {
                next.timeline.push(TimelineEvent {
                    from: Some(current.state),
                    to: Some(to),
                    ..event(EventKind::Approved)
                });
            }
        }
        Action::Start => {
            next.state = step(current, Step::Start)?;
            check_ready(app, current).await?;
            let read = CurrentFlags::read(app, current).await?;
            let position = Position {
                stage: 0,
                percent: current.plan.stages[0].percent,
            };
            next.baseline = read.configs(&current.plan.environment);
            flags = flag_writes(&next, &read, Target::Stage(position))?;
            place(&mut next, position, now);
            next.timeline.push(TimelineEvent {
                from: Some(current.state),
                to: Some(next.state),
                stage: Some(0),
                percent: Some(position.percent),
                ..event(EventKind::Started)
            });
        }
        Action::Pause | Action::Resume | Action::Cancel => {
            let (step_taken, kind) = match action {
                Action::Pause => (Step::Pause, EventKind::Paused),
                Action::Resume => (Step::Resume, EventKind::Resumed),
                _ => (Step::Cancel, EventKind::Cancelled),
            };
            next.state = step(current, step_taken)?;
            if action == Action::Resume {
                // The stage bakes afresh after a pause.
                next.stage_started_at = Some(now);
            }
            next.timeline.push(TimelineEvent {
                from: Some(current.state),
                to: Some(next.state),
                stage: current.current_stage,
                percent: current.position().map(|p| p.percent),
                ..event(kind)
            });
        }
        Action::Promote => {
            step(current, Step::Promote)?;
            let read = CurrentFlags::read(app, current).await?;
            match following(current)? {
                Some(position) => {
                    flags = flag_writes(&next, &read, Target::Stage(position))?;
                    place(&mut next, position, now);
                    next.timeline.push(TimelineEvent {
                        stage: Some(position.stage),
                        percent: Some(position.percent),
                        details: Some(json!({
                            "audience": current.plan.stages[position.stage].audience,
                        })),
                        ..event(EventKind::StageAdvanced)
                    });
                }
                None => {
                    next.state = step(current, Step::Complete)?;
                    flags = flag_writes(&next, &read, Target::Completed)?;
                    next.timeline.push(TimelineEvent {
                        from: Some(current.state),
                        to: Some(next.state),
                        stage: current.current_stage,
                        percent: Some(current.current_percent),
                        ..event(EventKind::Completed)
                    });
                }
            }
        }
        Action::Rollback => {
            let reason = bodies::required(
                "reason",
                request.reason.as_deref(),
                "say why the release is rolled back",
            )?;
            next.state = step(current, Step::Rollback)?;
            let read = CurrentFlags::read(app, current).await?;
            flags = flag_writes(&next, &read, Target::Control)?;
            next.timeline.push(TimelineEvent {
                from: Some(current.state),
                to: Some(next.state),
                stage: current.current_stage,
                percent: Some(current.current_percent),
                comment: Some(reason),
                details: request.comment.as_ref().map(|c| json!({ "comment": c })),
                ..TimelineEvent::new(now, EventKind::RolledBack, actor)
            });
        }
    }
    if let Some(progress) = automation.progress {
        next.analysis_progress = Some(progress);
    }
    if let Some(analysis) = automation.analysis
        && next.timeline.len() > current.timeline.len()
        && let Some(event) = next.timeline.last_mut()
    {
        event.analysis = Some(analysis);
    }
    let name = format!("release.{}", action.as_str());
    let guarded = Guarded {
        checks: automation.checks.clone(),
        audited: true,
    };
    let saved = save_guarded(
        app,
        actor,
        &name,
        Some(&stored),
        next,
        flags,
        if_match,
        guarded,
    )
    .await?;
    if action == Action::Rollback {
        return Ok(propagation::record(app, actor, saved, automation.checks).await);
    }
    Ok(saved.release)
}

/// Records an analysis that held the stage: an `analysis` event with the record, and
/// the progress — only if the release is still at `version` (a person's action in
/// between wins) and the write meets `automation.checks`. Not audited: the timeline is
/// the record.
pub async fn record_analysis(
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

/// Sets the percentage of the current stage's audience (never lower than it is).
pub async fn set_percent(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let request: PercentRequest = bodies::read(body)?;
    bodies::text("comment", request.comment.as_deref())?;
    let invalid =
        |message: String| ServiceError::Invalid(vec![FieldError::new("percent", message)]);
    let percent = Percent::from_percent(request.percent)
        .filter(|p| *p > Percent::ZERO)
        .ok_or_else(|| {
            invalid(format!(
                "{} is not a percentage above 0 and at most 100 with at most two decimals",
                request.percent
            ))
        })?;
    let actor = Actor::of(principal);
    let stored = load(app, id).await?;
    check_if_match(&stored, if_match)?;
    let current = &stored.release;
    step(current, Step::SetPercent)?;
    let Some(position) = current.position() else {
        return Err(conflict("the release has not started".to_owned(), "state"));
    };
    if percent < position.percent {
        return Err(invalid(format!(
            "{percent} is below the current {}: lowering it would take the feature away from users who have it; roll back instead",
            position.percent
        )));
    }
    if current.plan.strategy == Strategy::BlueGreen && !percent.is_full() {
        return Err(invalid(
            "blue_green switches whole audiences: the percentage is always 100".to_owned(),
        ));
    }
    let now = app.clock.now();
    let read = CurrentFlags::read(app, current).await?;
    let mut next = current.clone();
    let target = Position {
        stage: position.stage,
        percent,
    };
    let flags = flag_writes(&next, &read, Target::Stage(target))?;
    place(&mut next, target, now);
    next.timeline.push(TimelineEvent {
        stage: Some(target.stage),
        percent: Some(percent),
        comment: request.comment,
        details: Some(json!({ "from": position.percent })),
        ..TimelineEvent::new(now, EventKind::PercentSet, &actor)
    });
    save(
        app,
        &actor,
        "release.percent",
        Some(&stored),
        next,
        flags,
        if_match,
    )
    .await
}

/// Ticks (or unticks) readiness item `index`. Does not touch approvals.
pub async fn check_item(
    app: &App,
    principal: &Principal,
    id: &str,
    index: usize,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let request: ChecklistRequest = bodies::read(body)?;
    bodies::text("comment", request.comment.as_deref())?;
    let actor = Actor::of(principal);
    annotate(app, &actor, id, if_match, "release.checklist", |release, now| {
        if release.state.is_terminal() {
            return Err(conflict(
                format!("release {id} is {}; its checklist is closed", release.state),
                "state",
            ));
        }
        let count = release.plan.checklist.len();
        let Some(item) = release.plan.checklist.get_mut(index) else {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                format!("checklist[{index}]"),
                format!("no such item; the checklist has {count} item(s), numbered from 0"),
            )]));
        };
        item.done = request.done;
        let details = json!({ "index": index, "item": item.item, "owner": item.owner, "done": request.done });
        Ok(TimelineEvent {
            comment: request.comment.clone(),
            details: Some(details),
            ..TimelineEvent::new(now, EventKind::ChecklistUpdated, &actor)
        })
    })
    .await
}

/// Logs an incident: what happened and what was done. Allowed in every state.
pub async fn log_incident(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let request: IncidentRequest = bodies::read(body)?;
    let what = bodies::required("what", Some(&request.what), "say what happened")?;
    let done = bodies::required("action", Some(&request.action), "say what was done")?;
    let actor = Actor::of(principal);
    annotate(
        app,
        &actor,
        id,
        if_match,
        "release.incident",
        |release, now| {
            Ok(TimelineEvent {
                stage: release.current_stage,
                percent: release.position().map(|p| p.percent),
                details: Some(json!({ "what": what, "action": done })),
                ..TimelineEvent::new(now, EventKind::Incident, &actor)
            })
        },
    )
    .await
}

/// Records the announcement (the scheduler calls this at `announce_at`).
pub async fn announce(app: &App, actor: &Actor, id: &str) -> Result<(), ServiceError> {
    annotate(app, actor, id, None, "release.announce", |release, now| {
        release.announced_at = Some(now);
        Ok(TimelineEvent::new(now, EventKind::Announced, actor))
    })
    .await
    .map(drop)
}

/// Records why the scheduler could not start the release.
pub async fn note_blocked(
    app: &App,
    actor: &Actor,
    id: &str,
    why: String,
) -> Result<(), ServiceError> {
    annotate(app, actor, id, None, "release.start_blocked", |_, now| {
        Ok(TimelineEvent {
            comment: Some(why.clone()),
            ..TimelineEvent::new(now, EventKind::StartBlocked, actor)
        })
    })
    .await
    .map(drop)
}

/// How often an annotation retries when the release changed under it (safe: it only
/// appends to the timeline and re-checks against the fresh state).
const ANNOTATE_RETRIES: usize = 3;

/// A change that does not touch flags (checklist, incident, announcement): applied to
/// the fresh release, retried on a concurrent change unless the caller sent If-Match.
async fn annotate(
    app: &App,
    actor: &Actor,
    id: &str,
    if_match: Option<IfMatch>,
    action: &str,
    mut change: impl FnMut(&mut Release, time::OffsetDateTime) -> Result<TimelineEvent, ServiceError>,
) -> Result<WithVersion<Release>, ServiceError> {
    let mut attempt = 0;
    loop {
        let stored = load(app, id).await?;
        check_if_match(&stored, if_match)?;
        let mut next = stored.release.clone();
        let event = change(&mut next, app.clock.now())?;
        next.timeline.push(event);
        match save(
            app,
            actor,
            action,
            Some(&stored),
            next,
            Vec::new(),
            if_match,
        )
        .await
        {
            Err(ServiceError::Conflict { .. })
                if if_match.is_none() && attempt < ANNOTATE_RETRIES =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The state after `step`, or a 409 saying why not.
fn step(release: &Release, step: Step) -> Result<ReleaseState, ServiceError> {
    transition(release.state, step).map_err(|e| conflict(e.to_string(), "state"))
}

/// Puts the release at `position` from `now`.
fn place(release: &mut Release, position: Position, now: time::OffsetDateTime) {
    release.current_stage = Some(position.stage);
    release.current_percent = position.percent;
    release.stage_started_at = Some(now);
}

/// The position after the current one; `None` after the last stage. Within one
/// audience the percentage never goes down, even if it was set above the next stage's.
fn following(release: &Release) -> Result<Option<Position>, ServiceError> {
    let Some(position) = release.position() else {
        return Err(conflict("the release has not started".to_owned(), "state"));
    };
    let stages = &release.plan.stages;
    let Some(next) = stages.get(position.stage + 1) else {
        return Ok(None);
    };
    let same_audience = stages[position.stage].audience == next.audience;
    let percent = if same_audience {
        next.percent.max(position.percent)
    } else {
        next.percent
    };
    Ok(Some(Position {
        stage: position.stage + 1,
        percent,
    }))
}

/// The guards of `start` beyond the state: checklist, approvals, a plan that still fits
/// the flags, and no other release driving them.
async fn check_ready(app: &App, release: &Release) -> Result<(), ServiceError> {
    if let Some((index, item)) = release
        .plan
        .checklist
        .iter()
        .enumerate()
        .find(|(_, item)| !item.done)
    {
        let open = release.plan.checklist.iter().filter(|i| !i.done).count();
        return Err(conflict(
            format!(
                "the checklist is not done: {open} item(s) open, first {:?}{}",
                item.item,
                if item.owner.is_empty() {
                    String::new()
                } else {
                    format!(" (owner {})", item.owner)
                }
            ),
            &format!("checklist[{index}].done"),
        ));
    }
    if !release.approvals_complete() {
        return Err(conflict(
            format!(
                "{} of {} approval(s) are in",
                release.approval_count(),
                release.plan.approvals_required
            ),
            "approvals",
        ));
    }
    let catalog = app.hub.catalog();
    let errors = validate_plan(&release.plan, &Documents(&catalog), None);
    if !errors.is_empty() {
        return Err(conflict_from(errors, "the plan no longer fits the flags"));
    }
    let errors = flags_in_other_releases(app, &release.plan, &release.id).await?;
    if !errors.is_empty() {
        return Err(conflict_from(errors, "cannot start"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn release(stage: usize, percent: f64) -> Release {
        serde_json::from_value(json!({
            "id": "rel-1", "salt": "rel-1", "name": "n", "release_version": "1.0.0",
            "environment": "production", "flags": [ { "key": "f", "variant": "on" } ],
            "stages": [
                { "audience": "beta", "percent": 20 },
                { "audience": "beta", "percent": 100 },
                { "audience": "general", "percent": 5 },
                { "audience": "general", "percent": 50 },
                { "audience": "general", "percent": 100 }
            ],
            "state": "running", "author": { "id": "a", "name": "a" },
            "current_stage": stage, "current_percent": percent,
            "created_at": "2030-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    fn next(stage: usize, percent: f64) -> Option<(usize, f64)> {
        following(&release(stage, percent))
            .unwrap()
            .map(|p| (p.stage, p.percent.as_f64()))
    }

    #[test]
    fn promoting_never_lowers_the_percentage_within_an_audience() {
        assert_eq!(next(0, 20.0), Some((1, 100.0)));
        assert_eq!(next(2, 5.0), Some((3, 50.0)));
        assert_eq!(
            next(2, 70.0),
            Some((3, 70.0)),
            "set by hand above the next stage"
        );
        assert_eq!(next(3, 50.0), Some((4, 100.0)));
        assert_eq!(next(4, 100.0), None, "after the last stage: complete");
    }

    #[test]
    fn a_new_audience_starts_at_its_own_percentage() {
        assert_eq!(next(1, 100.0), Some((2, 5.0)));
    }

    #[test]
    fn actions_read_back_by_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("launch"), None);
    }
}
