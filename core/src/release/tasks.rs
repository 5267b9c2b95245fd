//! The readiness backlog: the tasks a release needs done before it starts — marketing
//! collateral, training for sales and support, operations runbooks, the announcement —
//! each in an area, with an owner, a due date, a status and notes.
//!
//! A task's status moves by a small set of steps ([`TaskStatus::can_become`]) so that
//! the timeline tells a believable story: work is started, finished, or dropped with a
//! reason, and a finished or dropped task is reopened before it changes again. Whether
//! a task is overdue depends on `now`, which the caller passes (the core reads no clock).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ReleasePlan;
use crate::validate::{FieldError, Lines, MAX_DESCRIPTION, count_field, key_field, text_field};

/// The areas every release plan knows; any other key may name an area.
pub const AREAS: [&str; 5] = [
    "marketing",
    "training",
    "support",
    "operations",
    "announcement",
];

/// One task of the readiness backlog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// What must be done, e.g. `Train the help desk`.
    pub title: String,
    /// The area it belongs to: `marketing`, `training`, `support`, `operations`,
    /// `announcement` or another key.
    pub area: String,
    /// Who sees to it.
    #[serde(default)]
    pub owner: String,
    /// When it must be done by.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due: Option<OffsetDateTime>,
    /// Where it stands.
    #[serde(default)]
    pub status: TaskStatus,
    /// Why it was dropped (required for `dropped`, refused otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Free text.
    #[serde(default)]
    pub notes: String,
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not started.
    #[default]
    Todo,
    /// Under way.
    Doing,
    /// Finished.
    Done,
    /// Not needed after all (with a reason).
    Dropped,
}

impl TaskStatus {
    /// Every status.
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Todo,
        TaskStatus::Doing,
        TaskStatus::Done,
        TaskStatus::Dropped,
    ];

    /// The status's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::Doing => "doing",
            TaskStatus::Done => "done",
            TaskStatus::Dropped => "dropped",
        }
    }

    /// Done or dropped: nothing stops the start.
    pub fn is_closed(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Dropped)
    }

    /// May a task go from `self` to `to`? Open tasks move freely among `todo`,
    /// `doing`, `done` and `dropped`; a done or dropped task is reopened (`todo` or
    /// `doing`) before it becomes anything else. Staying put is not a step.
    pub fn can_become(self, to: TaskStatus) -> bool {
        self != to && (!self.is_closed() || !to.is_closed())
    }
}

impl Task {
    /// Is it open past its due date at `now`?
    pub fn is_overdue(&self, now: OffsetDateTime) -> bool {
        !self.status.is_closed() && self.due.is_some_and(|due| due <= now)
    }
}

/// Checks `tasks`: a title, an area, an owner and notes of sane size, and a reason
/// exactly when dropped.
pub(super) fn check(errors: &mut Vec<FieldError>, plan: &ReleasePlan) {
    if !count_field(errors, "tasks", &plan.tasks, super::validate::MAX_ITEMS) {
        return;
    }
    for (index, task) in plan.tasks.iter().enumerate() {
        let field = format!("tasks[{index}]");
        if task.title.trim().is_empty() {
            errors.push(FieldError::new(
                format!("{field}.title"),
                "must say what must be done",
            ));
        }
        text_field(
            errors,
            &format!("{field}.title"),
            &task.title,
            512,
            Lines::One,
        );
        key_field(errors, &format!("{field}.area"), &task.area);
        text_field(
            errors,
            &format!("{field}.owner"),
            &task.owner,
            128,
            Lines::One,
        );
        text_field(
            errors,
            &format!("{field}.notes"),
            &task.notes,
            MAX_DESCRIPTION,
            Lines::Many,
        );
        errors.extend(reason_error(&field, task));
    }
}

/// The error of a task whose `reason` does not fit its status: a dropped task says why,
/// and only a dropped task has a reason.
pub fn reason_error(field: &str, task: &Task) -> Option<FieldError> {
    let reason = task.reason.as_deref().map(str::trim);
    match (task.status, reason) {
        (TaskStatus::Dropped, None | Some("")) => Some(FieldError::new(
            format!("{field}.reason"),
            "a dropped task says why it was dropped",
        )),
        (TaskStatus::Dropped, Some(text)) if text.len() > MAX_DESCRIPTION => Some(FieldError::new(
            format!("{field}.reason"),
            format!("must be at most {MAX_DESCRIPTION} bytes"),
        )),
        (TaskStatus::Dropped, Some(_)) | (_, None) => None,
        (status, Some(_)) => Some(FieldError::new(
            format!("{field}.reason"),
            format!(
                "only a dropped task has a reason; this one is {}",
                status.as_str()
            ),
        )),
    }
}

/// `tasks[i].due` errors for due dates in the past at `now`, among the tasks whose due
/// date is new or changed since `previous` (a date that has passed since it was set is
/// not a mistake, it is overdue).
pub fn past_due_errors(
    plan: &ReleasePlan,
    previous: Option<&ReleasePlan>,
    now: OffsetDateTime,
) -> Vec<FieldError> {
    plan.tasks
        .iter()
        .enumerate()
        .filter_map(|(index, task)| {
            let due = task.due?;
            let unchanged = previous
                .and_then(|p| p.tasks.iter().find(|t| t.title == task.title))
                .is_some_and(|t| t.due == Some(due));
            (due < now && !unchanged).then(|| {
                FieldError::new(
                    format!("tasks[{index}].due"),
                    format!(
                        "{} is in the past (now is {}); a task is due at a time still to come",
                        rfc3339(due),
                        rfc3339(now)
                    ),
                )
            })
        })
        .collect()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_tasks_are_reopened_before_they_change_again() {
        use TaskStatus::*;
        assert!(Todo.can_become(Doing) && Todo.can_become(Done) && Todo.can_become(Dropped));
        assert!(Doing.can_become(Todo) && Doing.can_become(Done));
        assert!(Done.can_become(Doing) && Dropped.can_become(Todo));
        assert!(!Done.can_become(Dropped) && !Dropped.can_become(Done));
        for status in TaskStatus::ALL {
            assert!(!status.can_become(status), "{status:?} to itself");
        }
    }
}
