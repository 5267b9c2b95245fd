//! The actions of a release's life. Each one checks its guards, moves the state
//! through `rollgate_core::release::transition`, records one or more timeline events
//! (who, when, why) and writes the release with the flags it changes in one commit.
//!
//! Guards beyond the state machine: only a release manager (or admin) acts; the author
//! does not approve their own release, and nobody approves twice; a release starts
//! only with its checklist done, its approvals in, its plan still valid and none of its
//! flags driven by another release; percentages never go down (roll back instead).
//!
//! This module holds the actions of the state machine (`POST .../{action}`) and the
//! path automation takes through them; `percent.rs` sets the percentage by hand,
//! `annotations.rs` the changes that only add to the timeline, `risks.rs` and
//! `incidents.rs` the risk log and tracked incidents, `position.rs` where a
//! stage change puts the release.

mod annotations;
mod automation;
mod incidents;
mod percent;
mod position;
mod resources;
mod risks;
mod signoff;
mod tasks;

use rollgate_core::release::{Position, ReleaseState, Step, transition};
use serde_json::json;

pub(crate) use annotations::{announce, check_item, note_blocked};
pub(crate) use automation::{Automation, record_analysis};
pub(crate) use incidents::{IncidentChange, IncidentRequest, log_incident, update_incident};
pub(crate) use percent::set_percent;
pub(crate) use resources::{CommitmentRequest, answer as answer_resource};
pub(crate) use risks::{NewRisk, RiskChange, add_risk, update_risk};
pub(crate) use tasks::{
    TaskList, TaskRequest, announce_overdue, list_tasks, unannounced_overdue, update_task,
};

use self::position::{following, place};
use super::bodies::{self, ActionRequest};
use super::guards::{check_policy, check_ready};
use super::rollout::{CurrentFlags, Target, flag_writes};
use super::{
    Actor, Approval, EventKind, Guarded, Release, TimelineEvent, check_if_match, load, propagation,
    save_guarded,
};
use super::{preflight, preview};
use crate::infra::auth::Role;
use crate::infra::store::Write;
use crate::service::App;
use crate::service::{Forbidden, Refusal};
use crate::service::{IfMatch, ServiceError, WithVersion};
use crate::service::{Principal, require_role};

/// The actions of `POST /api/v1/releases/{id}/{action}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
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
    pub(crate) const ALL: [Action; 8] = [
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
    pub(crate) fn as_str(self) -> &'static str {
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
    pub(crate) fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Runs `action` for a caller.
pub(crate) async fn act(
    app: &App,
    principal: &Principal,
    id: &str,
    action: Action,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    super::require_scope(app, principal, id).await?;
    let request: ActionRequest = bodies::read(body)?;
    run(app, &Actor::of(principal), id, action, request, if_match).await
}

/// Runs `action` for any actor (people through [`act`], the scheduler directly).
pub(crate) async fn run(
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

/// [`run`] with what an automatic action adds.
pub(crate) async fn run_with(
    app: &App,
    actor: &Actor,
    id: &str,
    action: Action,
    request: ActionRequest,
    if_match: Option<IfMatch>,
    automation: Automation,
) -> Result<WithVersion<Release>, ServiceError> {
    bodies::text("comment", request.comment.as_deref())?;
    let acknowledged = request.acknowledged(action == Action::Start)?;
    if request.function.is_some() && action != Action::Approve {
        return Err(ServiceError::invalid(
            "function",
            "only approve names a function (the one the approver signs off for)",
        ));
    }
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
            check_policy(app, current)?;
            next.state = to;
            next.preflight = preflight::run(app, current).await;
            next.timeline.push(TimelineEvent {
                from: Some(current.state),
                to: Some(ReleaseState::PendingApproval),
                details: next
                    .preflight
                    .as_ref()
                    .map(|p| json!({ "preflight": p.summary() })),
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
                return Err(Forbidden::OwnRelease.into());
            }
            check_policy(app, current)?;
            if current.approvals.iter().any(|a| a.by.id == actor.id) {
                return Err(Refusal::AlreadyApproved(actor.name.clone()).into());
            }
            let function = signoff::function_signed(current, actor, request.function.as_deref())?;
            next.approvals.push(Approval {
                by: actor.clone(),
                at: now,
                comment: request.comment.clone(),
                function: function.clone(),
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
                    "function": function,
                    "signoffs_missing": next.missing_signoffs(),
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
            let assessment = preview::assess(app, current, &read).await?;
            preview::check_acknowledged(&acknowledged, &assessment.warnings)?;
            let position = Position {
                stage: 0,
                percent: current.plan.stages[0].percent,
            };
            next.baseline = read.configs(&current.plan.environment);
            flags = flag_writes(&next, &read, Target::Stage(position))?;
            place(&mut next, position, now);
            let mut details = json!({ "acknowledged": assessment.warnings });
            if let Some(preflight) = &assessment.preflight {
                details["preflight"] = preflight.summary();
            }
            next.preflight = assessment.preflight;
            next.timeline.push(TimelineEvent {
                from: Some(current.state),
                to: Some(next.state),
                stage: Some(0),
                percent: Some(position.percent),
                details: Some(details),
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
                refuse_disabled(current, &CurrentFlags::read(app, current).await?)?;
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
            refuse_disabled(current, &read)?;
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
                    next.watch_record = current
                        .plan
                        .watch
                        .as_ref()
                        .map(|w| super::watch::WatchRecord::open(w, now));
                    next.timeline.push(TimelineEvent {
                        from: Some(current.state),
                        to: Some(next.state),
                        stage: current.current_stage,
                        percent: Some(current.current_percent),
                        details: next
                            .watch_record
                            .as_ref()
                            .map(|w| json!({ "watch_until": tasks::rfc3339(w.ends_at) })),
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
            let watched = super::watch::is_watching(current);
            next.state = step(
                current,
                if watched {
                    Step::RollbackWatched
                } else {
                    Step::Rollback
                },
            )?;
            super::watch::close_rolled_back(&mut next, now);
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

/// A 409 while one of the release's flags is disabled: resuming, promoting or setting
/// the percentage would write it enabled again, and only an explicit write may do that.
pub(super) fn refuse_disabled(release: &Release, flags: &CurrentFlags) -> Result<(), ServiceError> {
    match super::ownership::disabled_flag(release, flags) {
        Some(flag) => Err(Refusal::FlagDisabled {
            flag,
            environment: release.plan.environment.clone(),
        }
        .into()),
        None => Ok(()),
    }
}

/// The state after `step`, or a 409 saying why not.
fn step(release: &Release, step: Step) -> Result<ReleaseState, ServiceError> {
    transition(release.state, step).map_err(|e| Refusal::from(e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_by_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("launch"), None);
    }
}
