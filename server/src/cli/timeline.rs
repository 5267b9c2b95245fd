//! A release's timeline for people: one line per event, its time in RFC 3339 to the
//! second, who, and what changed — `stage 2 → 3: general 10 %`, `general 10 % → 25 %`,
//! `running → paused` — with the comment or reason given.
//!
//! The events are the server's [`TimelineEvent`]s. Their `details` have no type on the
//! server either (each kind of event writes its own few facts as JSON), so those facts
//! are read here by name.

use rollgate_core::release::Warning;
use serde::Deserialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::preview::codes;
use super::show::{percent, text};
use crate::service::releases::{EventKind, Release, TimelineEvent};

/// `2030-01-01T09:30:00.123456Z` → `2030-01-01T09:30:00Z`: shown in UTC to the second.
fn time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// One timeline line (without indentation).
pub(crate) fn line(release: &Release, event: &TimelineEvent) -> String {
    let what = change(release, event);
    let comment = event
        .comment
        .as_deref()
        .filter(|c| {
            !c.is_empty() && !matches!(event.event, EventKind::Analysis | EventKind::StartBlocked)
        })
        .map(|c| format!(" — {c}"))
        .unwrap_or_default();
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" — {what}")
    };
    format!(
        "{}  {:<19} by {}{what}{comment}",
        time(event.at),
        event.event.as_str(),
        event.by.name
    )
}

/// The audience of stage `index` (from 0).
fn audience(release: &Release, index: usize) -> String {
    text(release.plan.stages.get(index).map(|s| &s.audience))
}

/// The stage an event names, as `3: general 10 %` (1-based).
fn stage(release: &Release, event: &TimelineEvent) -> Option<String> {
    let index = event.stage?;
    Some(format!(
        "{}: {} {}",
        index + 1,
        audience(release, index),
        percent(event.percent)
    ))
}

/// What the event changed, in a few words.
fn change(release: &Release, event: &TimelineEvent) -> String {
    let details = event.details.as_ref().unwrap_or(&Value::Null);
    let transition = || match (event.from, event.to) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        (None, Some(to)) => format!("→ {to}"),
        _ => String::new(),
    };
    match event.event {
        EventKind::Created => "draft".to_owned(),
        EventKind::Revised => {
            if details["material"] == true {
                "plan revised: what ships or how changed".to_owned()
            } else {
                "plan revised".to_owned()
            }
        }
        EventKind::ApprovalsReset => format!(
            "{}; {} approval(s) dropped",
            transition(),
            details["dropped"]
        ),
        EventKind::Submitted => match preflight(details) {
            Some(preflight) => format!("{}; {preflight}", transition()),
            None => transition(),
        },
        EventKind::ApprovalGiven => format!(
            "approval {} of {}",
            text(&details["approvals"]),
            text(&details["required"])
        ),
        EventKind::Started => {
            let mut what = format!("stage {}", stage(release, event).unwrap_or_default());
            // The warnings the start acknowledged, as the preview listed them.
            let acknowledged =
                Vec::<Warning>::deserialize(&details["acknowledged"]).unwrap_or_default();
            let acknowledged = codes(&acknowledged);
            if !acknowledged.is_empty() {
                what.push_str(&format!("; acknowledged {}", acknowledged.join(", ")));
            }
            if let Some(preflight) = preflight(details) {
                what.push_str(&format!("; {preflight}"));
            }
            what
        }
        EventKind::StageAdvanced => {
            let index = event.stage.unwrap_or(0);
            format!(
                "stage {index} → {}",
                stage(release, event).unwrap_or_default()
            )
        }
        EventKind::PercentSet => format!(
            "{} {} → {}",
            audience(release, event.stage.unwrap_or(0)),
            percent(&details["from"]),
            percent(event.percent)
        ),
        EventKind::Completed => format!("{}: released to everyone", transition()),
        EventKind::RolledBack => format!("{}: control to everyone", transition()),
        EventKind::ChecklistUpdated => format!(
            "item {} {:?} {}",
            details["index"].as_u64().map_or(0, |i| i + 1),
            text(&details["item"]),
            if details["done"] == true {
                "done"
            } else {
                "not done"
            }
        ),
        EventKind::Incident => format!(
            "{}{} (action: {})",
            super::log_items::incident_tag(details),
            text(&details["what"]),
            text(&details["action"])
        ),
        EventKind::RiskAdded | EventKind::RiskUpdated | EventKind::IncidentUpdated => {
            super::log_items::event_line(event.event, details)
        }
        EventKind::Analysis | EventKind::StartBlocked => event.comment.clone().unwrap_or_default(),
        EventKind::RollbackPropagated => format!(
            "revision {} served; {} of {} SDK stream(s) had it",
            text(&details["revision"]),
            text(&details["sdk_streams"]["received"]),
            text(&details["sdk_streams"]["connected"])
        ),
        EventKind::FlagDisabled => format!(
            "flag {} disabled in {} (kill switch)",
            text(&details["flag"]),
            text(&details["environment"])
        ),
        EventKind::FlagEnabled => format!(
            "flag {} enabled again in {}",
            text(&details["flag"]),
            text(&details["environment"])
        ),
        EventKind::TaskUpdated => format!(
            "task {} {:?}: {} → {}",
            details["index"].as_u64().map_or(0, |i| i + 1),
            text(&details["title"]),
            text(&details["from"]),
            text(&details["to"])
        ),
        EventKind::TaskOverdue => format!(
            "task {} {:?} overdue since {} ({})",
            details["index"].as_u64().map_or(0, |i| i + 1),
            text(&details["title"]),
            text(&details["due"]),
            text(&details["owner"])
        ),
        EventKind::ResourceCommitted | EventKind::ResourceDeclined => format!(
            "resource {} {:?} {} by {}",
            details["index"].as_u64().map_or(0, |i| i + 1),
            text(&details["description"]),
            if event.event == EventKind::ResourceCommitted {
                "committed"
            } else {
                "declined"
            },
            text(&details["owner"])
        ),
        EventKind::CommitmentWithdrawn => format!(
            "resource {} {:?} changed: its answer ({}) withdrawn",
            details["index"].as_u64().map_or(0, |i| i + 1),
            text(&details["description"]),
            text(&details["was"])
        ),
        EventKind::WatchRegression => format!(
            "regression during the watch: {}",
            event.comment.as_deref().unwrap_or_default()
        ),
        EventKind::WatchEnded => format!(
            "watch over ({}); report addendum {}",
            text(&details["status"]),
            text(&details["addendum"])
        ),
        EventKind::Approved
        | EventKind::Announced
        | EventKind::Paused
        | EventKind::Resumed
        | EventKind::Cancelled => transition(),
    }
}

/// `preflight: 6 queries, 1 failed, 2 without data`, from an event's details (the
/// server's `Preflight::summary`).
fn preflight(details: &Value) -> Option<String> {
    let preflight = details.get("preflight")?;
    Some(format!(
        "preflight: {} queries, {} failed, {} without data",
        text(&preflight["queries"]),
        text(&preflight["failed"]),
        text(&preflight["no_data"])
    ))
}
