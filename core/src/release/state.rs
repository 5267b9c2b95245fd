//! The life of a release as a pure transition function:
//!
//! ```text
//! draft → pending_approval → approved → running ⇄ paused → completed | rolled_back
//!   └──────────┴────────────────┴→ cancelled
//! ```
//!
//! Revising what ships or how sends an approved plan back to `pending_approval`. A
//! paused release's exposure does not grow: promoting it, completing it or raising its
//! percentage needs a `resume` first.
//! `completed`, `rolled_back` and `cancelled` are terminal: nothing leaves them, but for
//! one move: a completed release still under its plan's `watch` may be rolled back. The
//! guards that need more than the state (checklist done, approvals in, the author not
//! approving) are the caller's; this function only says which moves exist.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a release is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// Being written; not yet submitted.
    Draft,
    /// Submitted; waiting for approvals.
    PendingApproval,
    /// Approved; may start (by hand or at `start_at`).
    Approved,
    /// Its flags follow the current stage; it advances.
    Running,
    /// Its flags stay at the current stage; nothing advances by itself.
    Paused,
    /// Released to everyone. Terminal.
    Completed,
    /// Every flag back to control. Terminal.
    RolledBack,
    /// Withdrawn before it started. Terminal.
    Cancelled,
}

impl ReleaseState {
    /// Every state.
    pub const ALL: [ReleaseState; 8] = [
        ReleaseState::Draft,
        ReleaseState::PendingApproval,
        ReleaseState::Approved,
        ReleaseState::Running,
        ReleaseState::Paused,
        ReleaseState::Completed,
        ReleaseState::RolledBack,
        ReleaseState::Cancelled,
    ];

    /// The state's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Draft => "draft",
            ReleaseState::PendingApproval => "pending_approval",
            ReleaseState::Approved => "approved",
            ReleaseState::Running => "running",
            ReleaseState::Paused => "paused",
            ReleaseState::Completed => "completed",
            ReleaseState::RolledBack => "rolled_back",
            ReleaseState::Cancelled => "cancelled",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<ReleaseState> {
        ReleaseState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Nothing leaves a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ReleaseState::Completed | ReleaseState::RolledBack | ReleaseState::Cancelled
        )
    }

    /// Running or paused: the release drives its flags.
    pub fn is_active(self) -> bool {
        matches!(self, ReleaseState::Running | ReleaseState::Paused)
    }

    /// The plan may still be replaced.
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            ReleaseState::Draft | ReleaseState::PendingApproval | ReleaseState::Approved
        )
    }
}

impl fmt::Display for ReleaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// The author asks for approval; `approved` when the approvals already suffice
    /// (a plan that requires none).
    Submit {
        /// The approvals suffice.
        approved: bool,
    },
    /// An approval was given; `approved` when the approvals now suffice.
    Approve {
        /// The approvals suffice.
        approved: bool,
    },
    /// The plan changed what ships or how.
    Revise,
    /// The first stage is applied.
    Start,
    /// Stop advancing.
    Pause,
    /// Advance again.
    Resume,
    /// Move to the next stage.
    Promote,
    /// Change the percentage within the current audience.
    SetPercent,
    /// The last stage is over: released to everyone.
    Complete,
    /// Every flag back to control.
    Rollback,
    /// Every flag back to control after the last stage, while the plan's `watch` is on
    /// (whether it is, is the caller's guard).
    RollbackWatched,
    /// Withdraw before starting.
    Cancel,
}

impl Step {
    /// The step's name, as actions and errors say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit { .. } => "submit",
            Step::Approve { .. } => "approve",
            Step::Revise => "revise",
            Step::Start => "start",
            Step::Pause => "pause",
            Step::Resume => "resume",
            Step::Promote => "promote",
            Step::SetPercent => "set the percentage of",
            Step::Complete => "complete",
            Step::Rollback | Step::RollbackWatched => "roll back",
            Step::Cancel => "cancel",
        }
    }
}

/// A step that does not exist from the current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a release that is {from}{}", step.as_str(), hint(*from, *step))]
pub struct TransitionError {
    /// The state the release is in.
    pub from: ReleaseState,
    /// What was asked.
    pub step: Step,
}

fn hint(from: ReleaseState, step: Step) -> &'static str {
    match (from, step) {
        (_, _) if from.is_terminal() => " (it is over)",
        (ReleaseState::Draft, Step::Approve { .. }) => " (submit it first)",
        (ReleaseState::Draft | ReleaseState::PendingApproval, Step::Start) => {
            " (it needs its approvals first)"
        }
        (ReleaseState::Running | ReleaseState::Paused, Step::Cancel) => {
            " (it has started: roll it back instead)"
        }
        (ReleaseState::Running | ReleaseState::Paused, Step::Revise) => {
            " (it has started: pause or roll it back instead)"
        }
        (ReleaseState::Paused, Step::Promote | Step::SetPercent | Step::Complete) => {
            " (resume it first: a paused release's exposure does not grow)"
        }
        _ => "",
    }
}

/// The state after `step`, or why the step does not exist from `from`.
pub fn transition(from: ReleaseState, step: Step) -> Result<ReleaseState, TransitionError> {
    use ReleaseState::*;
    let to = match (from, step) {
        (Draft, Step::Submit { approved }) => {
            if approved {
                Approved
            } else {
                PendingApproval
            }
        }
        (PendingApproval, Step::Approve { approved }) => {
            if approved {
                Approved
            } else {
                PendingApproval
            }
        }
        (Draft, Step::Revise) => Draft,
        (PendingApproval | Approved, Step::Revise) => PendingApproval,
        (Approved, Step::Start) => Running,
        (Running, Step::Pause) => Paused,
        (Paused, Step::Resume) => Running,
        (Running, Step::Promote | Step::SetPercent) => Running,
        (Running, Step::Complete) => Completed,
        (Running | Paused, Step::Rollback) => RolledBack,
        (Completed, Step::RollbackWatched) => RolledBack,
        (Draft | PendingApproval | Approved, Step::Cancel) => Cancelled,
        _ => return Err(TransitionError { from, step }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests;
