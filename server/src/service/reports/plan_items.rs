//! The report's account of the release plan's living parts — who watched (the release
//! group and their sign-offs), the readiness tasks, the resources and their
//! commitments, and (from [`super::log_items`]) the risk log and tracked issues — as
//! titled tables, so that Markdown and HTML render the same rows and neither repeats
//! what a section says.

use super::model::Report;
use super::tables::{Row, Tone};
use super::text;
use crate::service::releases::CommitmentStatus;

/// One titled table of the report.
pub(crate) struct Section {
    /// The heading.
    pub title: &'static str,
    /// The column names.
    pub header: &'static [&'static str],
    /// The rows; when empty, `empty` is said instead.
    pub rows: Vec<Row>,
    /// What an empty section says.
    pub empty: &'static str,
}

pub(crate) fn row(cells: Vec<String>) -> Row {
    Row {
        cells,
        tone: Tone::Plain,
        notes: Vec::new(),
    }
}

/// The sections, in the order the report shows them.
pub(crate) fn sections(report: &Report) -> Vec<Section> {
    let mut sections = vec![group(report), tasks(report), resources(report)];
    sections.extend(super::log_items::sections(report));
    sections
}

/// The resources and each owner's answer.
fn resources(report: &Report) -> Section {
    let rows = report
        .resources
        .iter()
        .enumerate()
        .map(|(index, resource)| {
            let answer = report
                .commitments
                .iter()
                .find(|c| c.resource == index)
                .map_or_else(
                    || "not committed".to_owned(),
                    |c| {
                        let word = match c.status {
                            CommitmentStatus::Committed => "committed",
                            CommitmentStatus::Declined => "declined",
                        };
                        let why = c
                            .reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default();
                        format!("{word} by {} at {}{why}", c.by.name, text::time(c.at))
                    },
                );
            row(vec![
                resource.kind.clone(),
                resource.description.clone(),
                format!("{} {}", resource.amount, resource.unit)
                    .trim()
                    .to_owned(),
                resource.owner.clone(),
                answer,
            ])
        })
        .collect();
    Section {
        title: "Resources",
        header: &["Kind", "Resource", "Amount", "Owner", "Commitment"],
        rows,
        empty: "The plan listed no resources.",
    }
}

/// The readiness backlog: each task's area, owner, due date and status (overdue when
/// open past its due date as the report was generated).
fn tasks(report: &Report) -> Section {
    let rows = report
        .tasks
        .iter()
        .map(|task| {
            let mut status = task.status.as_str().to_owned();
            if task.is_overdue(report.generated_at) {
                status.push_str(" (overdue)");
            }
            if let Some(reason) = &task.reason {
                status = format!("{status}: {reason}");
            }
            row(vec![
                task.area.clone(),
                task.title.clone(),
                task.owner.clone(),
                task.due.map_or_else(|| "—".to_owned(), text::time),
                status,
            ])
        })
        .collect();
    Section {
        title: "Tasks",
        header: &["Area", "Task", "Owner", "Due", "Status"],
        rows,
        empty: "The plan had no tasks.",
    }
}

/// Who watched: each member, their function and their sign-off.
fn group(report: &Report) -> Section {
    let rows = report
        .group
        .iter()
        .map(|member| {
            let signed = report
                .approvals
                .iter()
                .find(|a| {
                    a.principal == member.principal
                        && a.function.as_deref() == Some(member.function.as_str())
                })
                .map_or_else(
                    || "—".to_owned(),
                    |a| format!("{} at {}", a.by, text::time(a.at)),
                );
            row(vec![member.name.clone(), member.function.clone(), signed])
        })
        .collect();
    Section {
        title: "Release group",
        header: &["Member", "Function", "Sign-off for the function"],
        rows,
        empty: "No release group was named.",
    }
}
