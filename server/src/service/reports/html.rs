//! The validation report as one standalone HTML page: inline CSS, inline SVG charts, no
//! script, no external asset — it can be mailed, archived or opened from disk. Every
//! piece of text that comes from users is escaped.

use std::fmt::Write as _;

use super::addendum::Addendum;
use super::before;
use super::charts::{self, Axis};
use super::model::{Report, StageEnd};
use super::plan_items;
use super::tables::{self, Row, Tone};
use super::text::{self, html as esc};
use crate::service::changelog::markdown::{exposure_words, status_words};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1000px;color:#1d1d1f;padding:0 1rem}\
h1{font-size:1.7rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{margin-top:1.4rem}\
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#f5f5f7}.banner{background:#fff4d6;border:1px solid #e6c200;padding:.5rem .8rem}\
.outcome{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600;color:#fff}\
.completed{background:#2ca02c}.rolled_back{background:#d62728}.cancelled{background:#7f7f7f}.running,.paused{background:#1f77b4}\
.draft,.pending_approval,.approved{background:#9467bd}.good{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}\
.muted{color:#6e6e73}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}svg{max-width:100%;height:auto}\
code{font-size:.85em;background:#f5f5f7;padding:0 .2rem}ul.actions{margin:.2rem 0 .6rem}";

/// Renders `report` as a standalone page.
pub fn render(report: &Report) -> String {
    let release = &report.release;
    let mut out = String::new();
    let title = format!(
        "Validation report: {} {}",
        release.name, release.release_version
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<p><span class=\"outcome {0}\">{0}</span> <span class=\"muted\">release <code>{1}</code> in {2}</span></p>",
        report.outcome.as_str(),
        esc(&release.id),
        esc(&release.environment)
    );
    if !report.is_final {
        out.push_str("<p class=\"banner\">Interim report: the release has not ended; numbers will change.</p>\n");
    }
    summary(&mut out, report);
    before_start(&mut out, report);
    charts_section(&mut out, report);
    stages(&mut out, report);
    kpis(&mut out, report);
    for section in plan_items::sections(report) {
        let _ = writeln!(out, "<h2>{}</h2>", esc(section.title));
        if section.rows.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", esc(section.empty));
        } else {
            table(&mut out, section.header, section.rows);
        }
    }
    issues(&mut out, report);
    changelog(&mut out, report);
    let _ = writeln!(
        out,
        "<p class=\"muted\">{}</p>\n</body>\n</html>",
        esc(&text::generated(report))
    );
    out
}

fn table(out: &mut String, header: &[&str], rows: Vec<Row>) {
    out.push_str("<table>\n<tr>");
    for name in header {
        let _ = write!(out, "<th>{}</th>", esc(name));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        let last = row.cells.len().saturating_sub(1);
        for (index, cell) in row.cells.iter().enumerate() {
            let mut cell = esc(cell);
            if index == 0 && !row.notes.is_empty() {
                let notes: Vec<String> = row
                    .notes
                    .iter()
                    .map(|n| format!("<code>{}</code>", esc(n)))
                    .collect();
                cell = format!("{cell}<br><small>{}</small>", notes.join("<br>"));
            }
            let class = match row.tone {
                _ if index != last => "",
                Tone::Plain => "",
                Tone::Good => " class=\"good\"",
                Tone::Bad => " class=\"bad\"",
                Tone::Muted => " class=\"muted\"",
            };
            let _ = write!(out, "<td{class}>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn summary(out: &mut String, report: &Report) {
    out.push_str("<h2>Summary</h2>\n<table>\n");
    for (name, value) in tables::summary(report) {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(name),
            esc(&value)
        );
    }
    out.push_str("</table>\n");
}

fn charts_section(out: &mut String, report: &Report) {
    out.push_str("<h2>Charts</h2>\n");
    let Some(axis) = Axis::of(report) else {
        out.push_str("<p class=\"muted\">The release never started: nothing to chart.</p>\n");
        return;
    };
    let _ = writeln!(
        out,
        "<figure class=\"chart\" id=\"chart-rollout\"><figcaption>Share of everyone served the released variant over time (each step labelled with its stage, audience and percentage; shaded: paused; red: the rollback). A ring's share of everyone depends on its size, which the plan does not say: its stages count 0 here.</figcaption>\n{}</figure>",
        charts::rollout(report, axis)
    );
    let with_points: Vec<_> = report
        .health
        .iter()
        .filter(|h| !h.points.is_empty())
        .collect();
    if with_points.is_empty() {
        out.push_str("<p class=\"muted\">No health analysis was recorded: the release was driven by hand (or has no checks).</p>\n");
    }
    for (index, series) in with_points.into_iter().enumerate() {
        let no_data = if charts::has_data(series) {
            ""
        } else {
            " — no data"
        };
        let _ = writeln!(
            out,
            "<figure class=\"chart\" id=\"chart-health-{index}\"><figcaption>Health check {}: treatment (red) against control (blue), bound {}{no_data}</figcaption>\n{}</figure>",
            esc(&series.check),
            esc(&tables::bound(series.min, series.max)),
            charts::health(report, series, axis)
        );
    }
}

fn before_start(out: &mut String, report: &Report) {
    let Some(before) = &report.before_start else {
        return;
    };
    out.push_str("<h2>Before the start</h2>\n");
    table(out, &before::BEFORE_HEADER, before::before_rows(before));
    if !before.acknowledged.is_empty() {
        out.push_str("<p>Acknowledged at the start:</p>\n<ul>\n");
        for warning in &before.acknowledged {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                warning.code,
                esc(&warning.message)
            );
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<p class=\"muted\">{}</p>",
        esc(before::ROLLBACK_MEANING)
    );
}

fn stages(out: &mut String, report: &Report) {
    out.push_str("<h2>Stages</h2>\n");
    table(out, &tables::STAGE_HEADER, tables::stage_rows(report));
    for stage in report
        .stages
        .iter()
        .filter(|s| s.end != StageEnd::NotReached)
    {
        let _ = writeln!(out, "<h3>{}</h3>", esc(&tables::stage_heading(stage)));
        if let Some(why) = tables::no_checks(stage) {
            let _ = writeln!(out, "<p class=\"muted\">{why}</p>");
            continue;
        }
        let _ = writeln!(out, "<p>{}</p>", esc(&tables::verdict_line(stage)));
        table(out, &tables::CHECK_HEADER, tables::check_rows(stage));
        if let Some(line) = tables::sample_ratio_line(stage) {
            let _ = writeln!(out, "<p>{}</p>", esc(&line));
        }
    }
}

fn kpis(out: &mut String, report: &Report) {
    out.push_str("<h2>KPIs</h2>\n");
    if let Some(note) = &report.kpis.note {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(note));
    }
    if !report.kpis.results.is_empty() {
        table(out, &tables::KPI_HEADER, tables::kpi_rows(report));
    }
}

fn issues(out: &mut String, report: &Report) {
    out.push_str("<h2>Issues and actions</h2>\n");
    if report.issues.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str("<ul>\n");
    for issue in &report.issues {
        let (kind, when) = tables::issue_heading(issue);
        let _ = writeln!(
            out,
            "<li><strong>{kind}</strong> ({}): {}\n<ul class=\"actions\">",
            esc(&when),
            esc(&issue.summary)
        );
        for action in &issue.actions {
            let _ = writeln!(
                out,
                "<li>{} <em>{}</em>: {}</li>",
                esc(&text::time(action.at)),
                esc(&action.by),
                esc(&action.action)
            );
        }
        if issue.actions.is_empty() {
            out.push_str("<li class=\"muted\">no action recorded</li>\n");
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ul>\n");
}

fn changelog(out: &mut String, report: &Report) {
    let entry = &report.changelog;
    let _ = writeln!(
        out,
        "<h2>Changelog</h2>\n<p><strong>{}</strong></p>",
        esc(status_words(entry.status))
    );
    if entry.deliveries.is_empty() {
        out.push_str("<p>No audience has had these features in full.</p>\n");
    } else {
        let rows = entry
            .deliveries
            .iter()
            .map(|d| Row {
                cells: vec![
                    d.audience.clone(),
                    text::time(d.delivered_at),
                    d.withdrawn_at.map(text::time).unwrap_or_default(),
                ],
                tone: Tone::Plain,
                notes: Vec::new(),
            })
            .collect();
        table(out, &["audience", "delivered", "withdrawn"], rows);
    }
    if let Some(exposures) = entry.exposures.as_ref().filter(|e| !e.is_empty()) {
        let _ = writeln!(out, "<p>Exposure: {}.</p>", esc(&exposure_words(exposures)));
    }
}

/// Inserts the addenda before the end of the report's page (`page` is [`render`]'s
/// output, unchanged up to there), each a dated section of its own.
pub(crate) fn with_addenda(mut page: String, addenda: &[Addendum]) -> String {
    if addenda.is_empty() {
        return page;
    }
    let mut out = String::new();
    for addendum in addenda {
        let watch = &addendum.watch;
        let _ = writeln!(
            out,
            "<section class=\"addendum\">\n<h2>Addendum {} ({}): {}</h2>\n<ul>",
            addendum.number,
            esc(&text::time(addendum.written_at)),
            esc(&addendum.title)
        );
        for line in tables::watch_lines(watch) {
            let _ = writeln!(out, "<li>{}</li>", esc(&line));
        }
        out.push_str("</ul>\n");
        if let Some(note) = &addendum.kpis.note {
            let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(note));
        }
        if !addendum.kpis.results.is_empty() {
            table(
                &mut out,
                &tables::KPI_HEADER,
                tables::kpi_result_rows(None, &addendum.kpis.results),
            );
        }
        out.push_str("</section>\n");
    }
    let at = page.rfind("</body>").unwrap_or(page.len());
    page.insert_str(at, &out);
    page
}
