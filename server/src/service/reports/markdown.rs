//! The validation report as Markdown (GitHub-flavoured tables), rendered from the JSON
//! document alone.

use std::fmt::Write as _;

use super::addendum::Addendum;
use super::before;
use super::model::{Report, StageEnd};
use super::plan_items;
use super::tables::{self, Row};
use super::text;
use crate::service::changelog::markdown as changelog;

/// Renders `report`.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    let release = &report.release;
    let _ = writeln!(
        out,
        "# Validation report: {} {}\n",
        text::markdown(&release.name),
        text::markdown(&release.release_version)
    );
    if !report.is_final {
        out.push_str("> Interim report: the release has not ended; numbers will change.\n\n");
    }
    let summary: Vec<Vec<String>> = tables::summary(report)
        .into_iter()
        .map(|(name, value)| {
            let value = text::markdown(&value);
            let value = if name == "Outcome" {
                format!("**{value}**")
            } else {
                value
            };
            vec![name.to_owned(), value]
        })
        .collect();
    text::markdown_table(&mut out, &["", ""], &summary);
    before_start(&mut out, report);
    out.push_str("## Stages\n\n");
    table(&mut out, &tables::STAGE_HEADER, tables::stage_rows(report));
    for stage in report
        .stages
        .iter()
        .filter(|s| s.end != StageEnd::NotReached)
    {
        let _ = writeln!(
            out,
            "### {}\n",
            text::markdown(&tables::stage_heading(stage))
        );
        if let Some(why) = tables::no_checks(stage) {
            let _ = writeln!(out, "{why}\n");
            continue;
        }
        let _ = writeln!(out, "{}\n", tables::verdict_line(stage));
        table(&mut out, &tables::CHECK_HEADER, tables::check_rows(stage));
        if let Some(line) = tables::sample_ratio_line(stage) {
            let _ = writeln!(out, "{line}\n");
        }
    }
    if !report.rollout.is_empty() {
        out.push_str("## Rollout\n\n");
        table(
            &mut out,
            &tables::ROLLOUT_HEADER,
            tables::rollout_rows(report),
        );
    }
    out.push_str("## KPIs\n\n");
    if let Some(note) = &report.kpis.note {
        let _ = writeln!(out, "{}\n", text::markdown(note));
    }
    if !report.kpis.results.is_empty() {
        table(&mut out, &tables::KPI_HEADER, tables::kpi_rows(report));
    }
    for section in plan_items::sections(report) {
        let _ = writeln!(out, "## {}\n", section.title);
        if section.rows.is_empty() {
            let _ = writeln!(out, "{}\n", section.empty);
        } else {
            table(&mut out, section.header, section.rows);
        }
    }
    issues(&mut out, report);
    out.push_str("## Changelog\n\n");
    changelog::section(
        &mut out,
        &report.changelog,
        crate::service::changelog::View::Internal,
    );
    let _ = writeln!(out, "---\n{}", text::generated(report));
    out
}

fn table(out: &mut String, header: &[&str], rows: Vec<Row>) {
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| row.cells.iter().map(|c| text::markdown(c)).collect())
        .collect();
    text::markdown_table(out, header, &rows);
}

fn before_start(out: &mut String, report: &Report) {
    let Some(before) = &report.before_start else {
        return;
    };
    out.push_str("## Before the start\n\n");
    table(out, &before::BEFORE_HEADER, before::before_rows(before));
    if !before.acknowledged.is_empty() {
        out.push_str("Acknowledged at the start:\n\n");
        for warning in &before.acknowledged {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                warning.code,
                text::markdown(&warning.message)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}\n", before::ROLLBACK_MEANING);
}

fn issues(out: &mut String, report: &Report) {
    out.push_str("## Issues and actions\n\n");
    if report.issues.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    for issue in &report.issues {
        let (kind, when) = tables::issue_heading(issue);
        let _ = writeln!(
            out,
            "- **{kind}** ({when}): {}",
            text::markdown(&issue.summary)
        );
        for action in &issue.actions {
            let _ = writeln!(
                out,
                "  - {} {}: {}",
                text::time(action.at),
                text::markdown(&action.by),
                text::markdown(&action.action)
            );
        }
        if issue.actions.is_empty() {
            out.push_str("  - no action recorded\n");
        }
    }
    out.push('\n');
}

/// Appends an addendum after the report's text: a dated section of its own.
pub(crate) fn addendum(out: &mut String, addendum: &Addendum) {
    let watch = &addendum.watch;
    let _ = writeln!(
        out,
        "\n## Addendum {} ({}): {}\n",
        addendum.number,
        text::time(addendum.written_at),
        text::markdown(&addendum.title)
    );
    for line in tables::watch_lines(watch) {
        let _ = writeln!(out, "- {}", text::markdown(&line));
    }
    out.push('\n');
    if let Some(note) = &addendum.kpis.note {
        let _ = writeln!(out, "{}\n", text::markdown(note));
    }
    if !addendum.kpis.results.is_empty() {
        table(
            out,
            &tables::KPI_HEADER,
            tables::kpi_result_rows(None, &addendum.kpis.results),
        );
    }
}
