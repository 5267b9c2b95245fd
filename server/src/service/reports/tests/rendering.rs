//! Markdown and the standalone HTML page: their content, their charts, and user text
//! that never becomes markup.

use rollgate_core::analysis::Verdict;
use serde_json::json;

use crate::service::reports::build::build;
use crate::service::reports::model::{KpiReport, Report};
use crate::service::reports::testing::{analysis, at, event, pass, plan, release_of};
use crate::service::reports::{html, markdown};

fn report(name: &str) -> Report {
    let mut plan_json = plan();
    plan_json["name"] = json!(name);
    let timeline = vec![
        event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
        analysis(
            1,
            0,
            vec![
                pass("error-rate", 0.01, 0.012),
                pass("p99-latency", 0.2, 0.2),
            ],
            Verdict::Hold,
        ),
        analysis(
            2,
            0,
            vec![
                pass("error-rate", 0.011, 0.01),
                pass("p99-latency", 0.21, 0.2),
            ],
            Verdict::Advance,
        ),
        event(
            "stage_advanced",
            2,
            "system:controller",
            json!({ "stage": 1, "percent": 100 }),
        ),
        analysis(
            3,
            1,
            vec![
                pass("error-rate", 0.01, 0.01),
                pass("p99-latency", 0.2, 0.2),
            ],
            Verdict::Hold,
        ),
        event(
            "rolled_back",
            4,
            "alice",
            json!({ "stage": 1, "percent": 100, "comment": "<img src=x onerror=alert(1)>" }),
        ),
    ];
    let release = release_of(plan_json, "rolled_back", timeline);
    build(
        &release,
        at(10),
        KpiReport {
            prometheus_url: None,
            measured: false,
            note: Some("not measured: no Prometheus".into()),
            results: Vec::new(),
        },
    )
}

#[test]
fn the_html_page_is_standalone_with_a_rollout_chart_and_one_chart_per_check() {
    let page = html::render(&report("Checkout v2"));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        page.matches("<svg").count(),
        3,
        "rollout + error-rate + p99-latency"
    );
    assert!(page.contains("id=\"chart-rollout\""));
    assert!(page.contains("id=\"chart-health-1\""));
    assert!(page.contains("<style>"));
    for external in [
        "<script",
        "<link",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(",
    ] {
        assert!(
            !page.contains(external),
            "no external asset or script: {external}"
        );
    }
    for section in [
        "Summary",
        "Stages",
        "KPIs",
        "Issues and actions",
        "Changelog",
    ] {
        assert!(page.contains(&format!("<h2>{section}</h2>")), "{section}");
    }
    assert!(page.contains("not measured: no Prometheus"));
}

#[test]
fn text_from_users_is_escaped_in_html_and_markdown() {
    let report = report("<script>alert(1)</script> | x");
    let page = html::render(&report);
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !page.contains("<img src=x"),
        "the rollback reason is escaped"
    );
    let text = markdown::render(&report);
    assert!(!text.contains("<script>") && !text.contains("<img"));
    assert!(
        text.starts_with("# Validation report: &lt;script&gt;alert(1)&lt;/script&gt; \\| x 2.4.0")
    );
}

#[test]
fn markdown_has_the_summary_stages_checks_issues_and_changelog() {
    let text = markdown::render(&report("Checkout v2"));
    assert!(text.contains("| Outcome | **rolled\\_back** |"), "{text}");
    assert!(
        text.contains("| Stage reached | 2 of 4: beta at 100 % |"),
        "{text}"
    );
    assert!(text.contains("| 1 | alpha | 100 % | 100 % | 2030-01-01 09:00:00 UTC | 2030-01-01 09:02:00 UTC | 2m |  | advanced | 2 |"), "{text}");
    assert!(text.contains("| error-rate (critical) | ≤ 0.02 | 0.01 / 0.011 / 0.011 | 0.01 / 0.012 / 0.01 | 2 | 0 (0) / 0 | 1.5 / 40 | passed |"), "{text}");
    assert!(
        text.contains("- **rollback** (2030-01-01 09:04:00 UTC, stage 2)"),
        "{text}"
    );
    assert!(
        text.contains("**withdrawn: rolled back, nothing delivered**"),
        "{text}"
    );
    assert!(
        text.contains("| alpha | 2030-01-01 09:00:00 UTC | 2030-01-01 09:04:00 UTC |"),
        "{text}"
    );
}
