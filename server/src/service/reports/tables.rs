//! What the report's tables and sentences say, as plain text: the Markdown and HTML
//! renderings share these and differ only in how they escape and lay them out.

use super::model::{
    CheckOutcome, CheckSummary, IssueKind, KpiResult, KpiScope, KpiVerdict, Report, Spread,
    StageEnd, StageReport,
};
use super::text;
use crate::service::changelog::Feature;

/// How a cell should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Nothing special.
    Plain,
    /// A pass or a met target.
    Good,
    /// A failure or a missed target.
    Bad,
    /// Nothing to judge.
    Muted,
}

/// A table row: plain-text cells, the tone of its last cell, and extra lines (PromQL)
/// to show under its first cell where the layout allows.
pub(crate) struct Row {
    pub cells: Vec<String>,
    /// The tone of the last cell.
    pub tone: Tone,
    /// Extra lines for the first cell.
    pub notes: Vec<String>,
}

fn row(cells: Vec<String>) -> Row {
    Row {
        cells,
        tone: Tone::Plain,
        notes: Vec::new(),
    }
}

/// The summary, as (name, value) pairs.
pub(crate) fn summary(report: &Report) -> Vec<(&'static str, String)> {
    let release = &report.release;
    let dates = &report.dates;
    let reached = report.stage_reached.as_ref().map_or_else(
        || "none (never started)".to_owned(),
        |s| {
            format!(
                "{} of {}: {} at {}",
                s.index + 1,
                s.of,
                s.audience,
                text::percent(s.percent)
            )
        },
    );
    let approvals: Vec<String> = report
        .approvals
        .iter()
        .map(|a| {
            let comment = a
                .comment
                .as_deref()
                .map(|c| format!(": “{c}”"))
                .unwrap_or_default();
            let function = a
                .function
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            format!("{}{function} at {}{comment}", a.by, text::time(a.at))
        })
        .collect();
    vec![
        ("Outcome", report.outcome.as_str().to_owned()),
        (
            "Release",
            format!("{} in {}", release.id, release.environment),
        ),
        ("Features", features(&release.features)),
        ("Strategy", release.strategy.as_str().to_owned()),
        ("Author", release.author.clone()),
        ("Created", text::time(dates.created_at)),
        ("Started", dash(dates.started_at.map(text::time))),
        ("Ended", dash(dates.ended_at.map(text::time))),
        ("Duration", dash(dates.duration_seconds.map(text::duration))),
        ("Stage reached", reached),
        (
            "Approved by",
            if approvals.is_empty() {
                "nobody (none required)".to_owned()
            } else {
                approvals.join("; ")
            },
        ),
    ]
}

/// `flag → variant, …`.
pub(crate) fn features(features: &[Feature]) -> String {
    features
        .iter()
        .map(|f| format!("{} → {}", f.flag, f.variant))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The header of the stage table.
pub(crate) const STAGE_HEADER: [&str; 10] = [
    "#", "audience", "planned", "applied", "opened", "closed", "duration", "paused", "end",
    "analyses",
];

/// One row per planned stage.
pub(crate) fn stage_rows(report: &Report) -> Vec<Row> {
    report
        .stages
        .iter()
        .map(|s| {
            let applied: Vec<String> = s.percentages.iter().map(|p| text::percent(*p)).collect();
            row(vec![
                (s.index + 1).to_string(),
                s.audience.clone(),
                text::percent(s.planned_percent),
                if applied.is_empty() {
                    "—".to_owned()
                } else {
                    applied.join(" → ")
                },
                dash(s.opened_at.map(text::time)),
                dash(s.closed_at.map(text::time)),
                dash(s.duration_seconds.map(text::duration)),
                if s.paused_seconds > 0 {
                    text::duration(s.paused_seconds)
                } else {
                    String::new()
                },
                end_words(s.end).to_owned(),
                s.analyses.to_string(),
            ])
        })
        .collect()
}

/// The heading of a stage's section.
pub(crate) fn stage_heading(stage: &StageReport) -> String {
    format!(
        "Stage {}: {} at {}",
        stage.index + 1,
        stage.audience,
        text::percent(stage.planned_percent)
    )
}

/// Why a stage has no check table, if it has none.
pub(crate) fn no_checks(stage: &StageReport) -> Option<&'static str> {
    if stage.checks.is_empty() {
        Some("No health checks are planned.")
    } else if stage.analyses == 0 {
        Some("No analysis was recorded in this stage (it was driven by hand).")
    } else {
        None
    }
}

/// The interval verdicts of a stage, in one sentence.
pub(crate) fn verdict_line(stage: &StageReport) -> String {
    let v = &stage.verdicts;
    format!(
        "{} interval(s): {} hold, {} advance, {} pause, {} rollback, {} complete.",
        stage.analyses, v.hold, v.advance, v.pause, v.rollback, v.complete
    )
}

/// The sample-ratio check of a stage, in one sentence.
pub(crate) fn sample_ratio_line(stage: &StageReport) -> Option<String> {
    let ratio = stage.sample_ratio.as_ref()?;
    Some(format!(
        "Sample ratio: {} mismatch(es) in {} interval(s); expected share {}, observed {}.",
        ratio.mismatches,
        ratio.intervals,
        text::number(Some(ratio.expected_share)),
        text::number(ratio.observed_share)
    ))
}

/// The header of the rollout table.
pub(crate) const ROLLOUT_HEADER: [&str; 5] = [
    "at",
    "stage",
    "share of the stage's audience",
    "share of everyone (at least)",
    "event",
];

/// The rollout over time, with the pauses: one row per change.
pub(crate) fn rollout_rows(report: &Report) -> Vec<Row> {
    let mut rows: Vec<(time::OffsetDateTime, Row)> = report
        .rollout
        .iter()
        .map(|point| {
            let stage = point.stage.map_or_else(
                || "—".to_owned(),
                |s| format!("{} ({})", s + 1, point.audience),
            );
            let cells = vec![
                text::time(point.at),
                stage,
                text::percent(point.percent),
                text::percent(point.everyone),
                point.event.replace('_', " "),
            ];
            let tone = if point.event == "rolled_back" {
                Tone::Bad
            } else {
                Tone::Plain
            };
            (
                point.at,
                Row {
                    cells,
                    tone,
                    notes: Vec::new(),
                },
            )
        })
        .collect();
    for pause in &report.pauses {
        let mut marks = vec![(pause.from, "paused")];
        marks.extend(pause.until.map(|until| (until, "pause ended")));
        for (at, what) in marks {
            let cells = vec![
                text::time(at),
                String::new(),
                String::new(),
                String::new(),
                what.to_owned(),
            ];
            rows.push((
                at,
                Row {
                    cells,
                    tone: Tone::Muted,
                    notes: Vec::new(),
                },
            ));
        }
    }
    rows.sort_by_key(|(at, _)| *at);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// The header of a stage's check table.
pub(crate) const CHECK_HEADER: [&str; 8] = [
    "check",
    "bound",
    "treatment min / max / last",
    "control min / max / last",
    "intervals",
    "outside bound (longest run) / regressions",
    "statistic / threshold",
    "outcome",
];

/// One row per check of a stage.
pub(crate) fn check_rows(stage: &StageReport) -> Vec<Row> {
    stage.checks.iter().map(check_row).collect()
}

fn check_row(check: &CheckSummary) -> Row {
    let statistic = match (check.statistic, check.threshold) {
        (Some(s), Some(t)) => format!("{} / {}", text::number(Some(s)), text::number(Some(t))),
        (Some(s), None) => text::number(Some(s)),
        _ => "—".to_owned(),
    };
    Row {
        cells: vec![
            format!(
                "{}{}",
                check.name,
                if check.critical { " (critical)" } else { "" }
            ),
            bound(check.min, check.max),
            spread(check.treatment),
            spread(check.control),
            check.intervals.to_string(),
            format!(
                "{} ({}) / {}",
                check.outside_bound, check.longest_breach_run, check.verdicts.regression
            ),
            statistic,
            outcome_words(check.outcome).to_owned(),
        ],
        tone: match check.outcome {
            CheckOutcome::Passed => Tone::Good,
            CheckOutcome::Breached | CheckOutcome::Regressed => Tone::Bad,
            _ => Tone::Muted,
        },
        notes: Vec::new(),
    }
}

/// The header of the KPI table.
pub(crate) const KPI_HEADER: [&str; 8] = [
    "KPI", "over", "flag", "window", "target", "value", "control", "verdict",
];

/// One row per KPI result, with its PromQL as notes.
pub(crate) fn kpi_rows(report: &Report) -> Vec<Row> {
    kpi_result_rows(Some(report), &report.kpis.results)
}

/// One row per KPI result (of a report, or of an addendum when `report` is `None`).
pub(crate) fn kpi_result_rows(report: Option<&Report>, results: &[KpiResult]) -> Vec<Row> {
    results
        .iter()
        .map(|r| Row {
            cells: vec![
                r.kpi.clone(),
                scope_words(report, r.scope, r.stage),
                r.flag.clone().unwrap_or_default(),
                r.window.clone(),
                bound(r.target.min, r.target.max),
                text::number(r.value),
                text::number(r.control),
                kpi_words(r.verdict).to_owned(),
            ],
            tone: match r.verdict {
                KpiVerdict::Met => Tone::Good,
                KpiVerdict::Missed => Tone::Bad,
                _ => Tone::Muted,
            },
            notes: r
                .measurements
                .iter()
                .filter(|m| !m.promql.is_empty())
                .map(|m| m.promql.clone())
                .collect(),
        })
        .collect()
}

/// The facts of a watch after release, one sentence each.
pub(crate) fn watch_lines(watch: &super::addendum::WatchSummary) -> Vec<String> {
    use crate::service::releases::watch::WatchStatus;
    let seconds = u64::try_from((watch.to - watch.from).whole_seconds()).unwrap_or(0);
    let mut lines = vec![
        format!(
            "Watched from {} to {} ({}), {} looks; on a regression: {}.",
            text::time(watch.from),
            text::time(watch.to),
            text::duration(seconds),
            watch.looks,
            watch.on_regression.as_str()
        ),
        match watch.status {
            WatchStatus::RolledBack => "Outcome: rolled back during the watch.".to_owned(),
            _ if watch.regressions.is_empty() => {
                "Outcome: healthy, no guardrail regressed.".to_owned()
            }
            _ => format!(
                "Outcome: {} regression(s), alerted.",
                watch.regressions.len()
            ),
        },
    ];
    for regression in &watch.regressions {
        lines.push(format!(
            "{} at {}: {}",
            regression.action,
            text::time(regression.at),
            regression.reason
        ));
    }
    lines
}

/// An issue's heading: `kind (time, stage n)`.
pub(crate) fn issue_heading(issue: &super::model::Issue) -> (&'static str, String) {
    let stage = issue
        .stage
        .map(|s| format!(", stage {}", s + 1))
        .unwrap_or_default();
    (
        issue_words(issue.kind),
        format!("{}{stage}", text::time(issue.at)),
    )
}

/// A bound in words: `≤ 0.02`, `≥ 1`, `1 … 2`.
pub(crate) fn bound(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => {
            format!("{} … {}", text::number(Some(min)), text::number(Some(max)))
        }
        (None, Some(max)) => format!("≤ {}", text::number(Some(max))),
        (Some(min), None) => format!("≥ {}", text::number(Some(min))),
        (None, None) => "—".to_owned(),
    }
}

fn spread(spread: Option<Spread>) -> String {
    spread.map_or_else(
        || "—".to_owned(),
        |s| {
            format!(
                "{} / {} / {}",
                text::number(Some(s.min)),
                text::number(Some(s.max)),
                text::number(Some(s.last))
            )
        },
    )
}

fn dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".to_owned())
}

fn end_words(end: StageEnd) -> &'static str {
    match end {
        StageEnd::NotReached => "not reached",
        StageEnd::Open => "open",
        StageEnd::Advanced => "advanced",
        StageEnd::Completed => "completed",
        StageEnd::RolledBack => "rolled back",
    }
}

fn outcome_words(outcome: CheckOutcome) -> &'static str {
    match outcome {
        CheckOutcome::NotAnalysed => "not analysed",
        CheckOutcome::NoData => "no data",
        CheckOutcome::Errors => "query errors",
        CheckOutcome::Passed => "passed",
        CheckOutcome::Breached => "breached",
        CheckOutcome::Regressed => "regressed",
    }
}

fn kpi_words(verdict: KpiVerdict) -> &'static str {
    match verdict {
        KpiVerdict::Met => "met",
        KpiVerdict::Missed => "missed",
        KpiVerdict::NoData => "no data",
        KpiVerdict::NotMeasured => "not measured",
    }
}

fn scope_words(report: Option<&Report>, scope: KpiScope, stage: Option<usize>) -> String {
    match (scope, stage) {
        (KpiScope::Stage, Some(index)) => {
            let audience = report
                .and_then(|r| r.stages.get(index))
                .map_or("", |s| s.audience.as_str());
            format!("stage {} ({audience})", index + 1)
        }
        (KpiScope::Watch, _) => "the watch".to_owned(),
        _ => "whole release".to_owned(),
    }
}

fn issue_words(kind: IssueKind) -> &'static str {
    match kind {
        IssueKind::FailedCheck => "failed check",
        IssueKind::NoData => "hold: no data",
        IssueKind::QueryErrors => "query errors",
        IssueKind::SampleRatioMismatch => "sample-ratio mismatch",
        IssueKind::Paused => "pause",
        IssueKind::RolledBack => "rollback",
        IssueKind::Incident => "incident",
        IssueKind::StartBlocked => "start blocked",
        IssueKind::FlagDisabled => "flag disabled (kill switch)",
    }
}
