//! The changelog as Markdown, and one entry's Markdown section (which the validation
//! report reuses).

use std::fmt::Write as _;

use super::entry::{ChangelogEntry, DeliveryStatus, Exposure, View};
use crate::service::reports::text;

/// A whole changelog in `view`: end users' entries are headed by their announcement,
/// the team's by the release's name and version.
pub(crate) fn changelog(entries: &[ChangelogEntry], view: View) -> String {
    let mut out = String::from("# Changelog\n\n");
    if entries.is_empty() {
        out.push_str("Nothing delivered yet.\n");
    }
    for entry in entries {
        match entry.announcement.as_ref().filter(|_| view == View::Public) {
            Some(announcement) => {
                let _ = writeln!(
                    out,
                    "## {}\n\n{} {}\n",
                    text::markdown(&announcement.title),
                    text::markdown(&entry.name),
                    text::markdown(&entry.release_version)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "## {} {}\n",
                    text::markdown(&entry.name),
                    text::markdown(&entry.release_version)
                );
            }
        }
        section(&mut out, entry, view);
    }
    out
}

/// What a status means, in words.
pub(crate) fn status_words(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::NotStarted => "not started: nothing delivered",
        DeliveryStatus::InProgress => "in progress",
        DeliveryStatus::Delivered => "delivered to everyone",
        DeliveryStatus::Withdrawn => "withdrawn: rolled back, nothing delivered",
    }
}

/// The partial shares of audiences, in words.
pub(crate) fn exposure_words(exposures: &[Exposure]) -> String {
    exposures
        .iter()
        .map(|e| {
            format!(
                "{} up to {} (from {})",
                e.audience,
                text::percent(e.percent),
                text::time(e.from)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The body of one entry in `view` (no heading).
pub(crate) fn section(out: &mut String, entry: &ChangelogEntry, view: View) {
    let _ = writeln!(
        out,
        "**{}** · {} · release `{}`\n",
        status_words(entry.status),
        text::markdown(&entry.environment),
        text::markdown(&entry.release)
    );
    if let Some(announcement) = &entry.announcement {
        if view == View::Internal {
            // End users' view has it as the heading.
            let _ = writeln!(
                out,
                "Announcement: **{}**\n",
                text::markdown(&announcement.title)
            );
        }
        if !announcement.body.trim().is_empty() {
            let _ = writeln!(
                out,
                "{}\n",
                super::announcement::to_markdown(announcement.body.trim_end())
            );
        }
    }
    if !entry.features.is_empty() {
        let _ = writeln!(
            out,
            "Features: {}\n",
            text::markdown(&crate::service::reports::tables::features(&entry.features))
        );
    }
    if entry.deliveries.is_empty() {
        out.push_str("No audience has had these features in full.\n\n");
    } else {
        let rows: Vec<Vec<String>> = entry
            .deliveries
            .iter()
            .map(|d| {
                vec![
                    text::markdown(&d.audience),
                    text::time(d.delivered_at),
                    d.withdrawn_at.map(text::time).unwrap_or_default(),
                ]
            })
            .collect();
        text::markdown_table(out, &["audience", "delivered", "withdrawn"], &rows);
    }
    if let Some(exposures) = entry.exposures.as_ref().filter(|e| !e.is_empty()) {
        let _ = writeln!(
            out,
            "Exposure: {}.\n",
            text::markdown(&exposure_words(exposures))
        );
    }
    if let Some(rollback) = &entry.rollback {
        let _ = writeln!(
            out,
            "Rolled back at {} by {}: {}\n",
            text::time(rollback.at),
            text::markdown(&rollback.by),
            text::markdown(&rollback.reason)
        );
    }
    if let Some(incidents) = entry.incidents.as_ref().filter(|i| !i.is_empty()) {
        out.push_str("Incidents:\n\n");
        for incident in incidents {
            let tracked = match (incident.severity, incident.status) {
                (Some(severity), Some(status)) => {
                    format!("{}, {}: ", severity.as_str(), status.as_str())
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "- {} — {tracked}{} Action: {} ({})",
                text::time(incident.at),
                text::markdown(&incident.what),
                text::markdown(&incident.action),
                text::markdown(&incident.by)
            );
        }
        out.push('\n');
    }
}
