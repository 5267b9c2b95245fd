//! The readiness backlog while the release is prepared and runs: a task's status
//! changes in one call (a step [`TaskStatus::can_become`] allows, a reason when it is
//! dropped), never touching approvals; and the scheduler's note that a task is overdue,
//! made once per task and due date (the timeline is the record of what was announced,
//! so no replica keeps it in memory).

use rollgate_core::FieldError;
use rollgate_core::release::{Task, TaskStatus, tasks::reason_error};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::super::bodies;
use super::super::{Actor, EventKind, Release, TimelineEvent};
use super::annotations::{annotate, open_items, request_of};
use crate::infra::auth::Role;
use crate::infra::store::Check;
use crate::service::App;
use crate::service::{IfMatch, ServiceError, WithVersion};
use crate::service::{Principal, require_role};

/// `POST /api/v1/releases/{id}/tasks/{index}`: what changes, each optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskRequest {
    /// The new status: `todo`, `doing`, `done` or `dropped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    /// Why it is dropped (required with `dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The task's notes, replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// A remark for the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Changes task `index`: its status and/or notes. Approvals are kept.
pub(crate) async fn update_task(
    app: &App,
    principal: &Principal,
    id: &str,
    index: usize,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: TaskRequest = request_of(app, principal, id, body).await?;
    bodies::text("comment", request.comment.as_deref())?;
    if request.status.is_none() && request.notes.is_none() {
        return Err(ServiceError::invalid(
            "status",
            "say what changes: a status, notes, or both",
        ));
    }
    let actor = Actor::of(principal);
    annotate(app, &actor, id, if_match, Vec::new(), "release.task", |release, now| {
        open_items(release)?;
        let count = release.plan.tasks.len();
        let Some(task) = release.plan.tasks.get_mut(index) else {
            return Err(ServiceError::invalid(
                format!("tasks[{index}]"),
                format!("no such task; the plan has {count} task(s), numbered from 0"),
            ));
        };
        let from = task.status;
        let mut changed = task.clone();
        if let Some(to) = request.status {
            if !from.can_become(to) {
                return Err(ServiceError::invalid(
                    "status",
                    format!(
                        "a {} task cannot become {}: {}",
                        from.as_str(),
                        to.as_str(),
                        if from == to {
                            "it already is"
                        } else {
                            "reopen it first (todo or doing)"
                        }
                    ),
                ));
            }
            changed.status = to;
            changed.reason = request.reason.clone();
        } else if request.reason.is_some() {
            return Err(ServiceError::invalid(
                "reason",
                "a reason goes with the status dropped",
            ));
        }
        if let Some(notes) = &request.notes {
            changed.notes.clone_from(notes);
        }
        let mut errors: Vec<FieldError> = reason_error("", &changed)
            .map(|e| FieldError::new("reason", e.message))
            .into_iter()
            .collect();
        if let Err(ServiceError::Invalid(more)) = bodies::text("notes", Some(&changed.notes)) {
            errors.extend(more);
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let details = json!({
            "index": index, "title": changed.title, "area": changed.area, "owner": changed.owner,
            "from": from, "to": changed.status, "reason": changed.reason,
        });
        *task = changed;
        Ok(TimelineEvent {
            comment: request.comment.clone(),
            details: Some(details),
            ..TimelineEvent::new(now, EventKind::TaskUpdated, &actor)
        })
    })
    .await
}

/// The tasks of `release` open past their due date at `now` that no `task_overdue`
/// event has announced for that due date yet, with their index.
pub(crate) fn unannounced_overdue(release: &Release, now: OffsetDateTime) -> Vec<(usize, &Task)> {
    release
        .plan
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, task)| task.is_overdue(now))
        .filter(|(index, task)| {
            let due = task.due.map(|d| json!(rfc3339(d)));
            !release.timeline.iter().any(|e| {
                e.event == EventKind::TaskOverdue
                    && e.details.as_ref().is_some_and(|d| {
                        d["index"] == json!(index) && Some(&d["due"]) == due.as_ref()
                    })
            })
        })
        .collect()
}

/// Announces every overdue task not announced yet (one `task_overdue` event each, in
/// one commit), if the release is still at `version` and the write meets `checks`
/// (the scheduler's lease); returns the release's new version.
pub(crate) async fn announce_overdue(
    app: &App,
    actor: &Actor,
    id: &str,
    version: u64,
    checks: Vec<Check>,
) -> Result<u64, ServiceError> {
    annotate(
        app,
        actor,
        id,
        Some(IfMatch::Version(version)),
        checks,
        "release.task_overdue",
        |release, now| {
            let mut events: Vec<TimelineEvent> = unannounced_overdue(release, now)
                .into_iter()
                .map(|(index, task)| TimelineEvent {
                    comment: Some(format!(
                        "{:?} was due {}",
                        task.title,
                        task.due.map(rfc3339).unwrap_or_default()
                    )),
                    details: Some(json!({
                        "index": index, "title": task.title, "area": task.area, "owner": task.owner,
                        "due": task.due.map(rfc3339), "status": task.status,
                    })),
                    ..TimelineEvent::new(now, EventKind::TaskOverdue, actor)
                })
                .collect();
            let last = events.pop().ok_or_else(|| {
                ServiceError::invalid("tasks", "no task is overdue and unannounced")
            })?;
            // All but the last here; `annotate` appends the last: one commit.
            release.timeline.extend(events);
            Ok(last)
        },
    )
    .await
    .map(|saved| saved.version)
}

pub(super) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// `GET /api/v1/releases/{id}/tasks`: the backlog as it stands at the server's now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TaskList {
    /// The server's now, against which `overdue` is judged.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub now: OffsetDateTime,
    /// How many tasks are open past their due date.
    pub overdue: usize,
    /// Every task, in the plan's order.
    pub tasks: Vec<TaskView>,
}

/// One task with its place and whether it is overdue now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TaskView {
    /// Its place in the plan's `tasks`, from 0 (the path of its update).
    pub index: usize,
    /// The task.
    #[serde(flatten)]
    pub task: Task,
    /// Open past its due date.
    pub overdue: bool,
}

/// The release's tasks, each marked overdue or not at the server's now.
pub(crate) async fn list_tasks(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<TaskList, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let release = super::super::load(app, id).await?.release;
    let now = app.clock.now();
    let tasks: Vec<TaskView> = release
        .plan
        .tasks
        .into_iter()
        .enumerate()
        .map(|(index, task)| TaskView {
            index,
            overdue: task.is_overdue(now),
            task,
        })
        .collect();
    Ok(TaskList {
        now,
        overdue: tasks.iter().filter(|t| t.overdue).count(),
        tasks,
    })
}
