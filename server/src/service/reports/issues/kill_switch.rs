//! The kill switch as an issue: someone disabled a flag the release owns, which paused
//! it in the same commit. Its actions are that pause, then what followed until the
//! release moved on: the flag enabled again, the resume, the rollback or the
//! completion.

use super::super::model::{ActionTaken, Issue, IssueKind};
use super::{action, because, who};
use crate::service::changelog::detail;
use crate::service::releases::{EventKind, TimelineEvent};

/// The issue of a `flag_disabled` event, with what followed it in `later`.
pub(super) fn flag_disabled(event: &TimelineEvent, later: &[TimelineEvent]) -> Issue {
    let mut actions: Vec<ActionTaken> = Vec::new();
    for next in later {
        match next.event {
            EventKind::Paused | EventKind::FlagEnabled | EventKind::Incident => {
                actions.push(action(next));
            }
            EventKind::Resumed | EventKind::RolledBack | EventKind::Completed => {
                actions.push(action(next));
                break;
            }
            _ => {}
        }
    }
    Issue {
        kind: IssueKind::FlagDisabled,
        at: event.at,
        until: None,
        stage: event.stage,
        summary: format!(
            "{} disabled flag {} in {} (the kill switch), which paused the release{}",
            who(&event.by),
            detail(event, "flag"),
            detail(event, "environment"),
            because(event)
        ),
        actions,
    }
}

/// Is `event` the pause a kill switch made (it follows the `flag_disabled` event of
/// the same commit)? That pause is an action of the kill switch's issue, not an issue
/// of its own.
pub(super) fn is_kill_switch_pause(event: &TimelineEvent, earlier: &[TimelineEvent]) -> bool {
    event.event == EventKind::Paused
        && earlier
            .last()
            .is_some_and(|e| e.event == EventKind::FlagDisabled && e.at == event.at)
}
