//! The HTML report renders in a real browser: headless Chromium (Debian's, installed by
//! `scripts/test`) screenshots the page the server served and dumps its DOM. The page
//! must load without console errors or refused resources, the screenshot must be a
//! real picture (not one colour), and the DOM must hold the SVG charts. The page and
//! the screenshot are kept under `target/report-artifacts/`. The browser helpers are
//! `rollgate_e2e::chromium`, shared with the controller's end-to-end tests, which
//! render the reports of real releases.

use rollgate_e2e::chromium::{assert_real_picture, render};

use super::support::{desk_with_prometheus, rolled_back_by_hand, view};

#[tokio::test]
async fn the_html_report_renders_in_headless_chromium() {
    let (desk, _stub) = desk_with_prometheus().await;
    let id = rolled_back_by_hand(&desk).await;
    let html = view(
        &desk,
        &format!("/api/v1/releases/{id}/report"),
        Some("text/html"),
    )
    .await;
    assert_eq!(html.status, reqwest::StatusCode::OK);
    let rendered = render("rolled-back-by-hand", &html.text).await;
    assert_real_picture(&rendered.png);
    let dom = rendered.dom;
    assert!(dom.contains("<figure class=\"chart\" id=\"chart-rollout\">"));
    assert!(dom.contains("<svg"), "the chart is SVG in the page");
    assert!(
        dom.contains("<polyline") || dom.contains("<path"),
        "the chart has a line"
    );
    assert!(dom.contains("Validation report: Checkout v2 2.4.0"));
    assert!(dom.contains("payment provider timeouts"));
    // The rollout chart: the share of everyone, each step labelled with its stage,
    // the pause shaded, the rollback marked.
    let chart = chart(&dom, "chart-rollout");
    assert!(chart.contains("% of everyone (at least)"), "{chart}");
    for label in [
        "1 alpha 100 %",
        "2 beta 100 %",
        "3 general 1 %",
        "3 general 5 %",
        "rollback",
        "paused",
    ] {
        assert!(chart.contains(label), "{label} on the rollout chart");
    }
    assert!(chart.contains("<rect"), "the pause is shaded");
}

/// The markup of the figure with `id` in `dom`.
fn chart<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let end = dom[start..]
        .find("</figure>")
        .map_or(dom.len(), |e| start + e);
    &dom[start..end]
}

/// A canary rolled back by the controller after twenty-five one-minute intervals, with
/// the analysis records the controller leaves on the timeline (built from the
/// `rollgate_core` record types, as the controller writes them).
fn controller_release() -> serde_json::Value {
    use rollgate_core::analysis::{
        AnalysisRecord, Arm, CheckRecord, CheckVerdict, QueryOutcome, QueryRecord, Verdict,
    };
    use rollgate_core::release::CheckKind;
    use serde_json::json;
    let t0 = time::macros::datetime!(2030-01-01 09:00 UTC);
    let at = |minute: i64| {
        (t0 + time::Duration::minutes(minute))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let check = |name: &str, kind, treatment: Option<f64>, control: f64, max: f64, row: u32| {
        let verdict = match treatment {
            None => CheckVerdict::NoData,
            Some(v) if v > max => CheckVerdict::Breach,
            Some(_) => CheckVerdict::Pass,
        };
        CheckRecord {
            name: name.into(),
            kind,
            critical: kind == CheckKind::Ratio,
            queries: vec![QueryRecord {
                arm: Arm::Treatment,
                role: "query".into(),
                promql: format!("{name}{{variant=\"on\"}}"),
                outcome: treatment
                    .map_or(QueryOutcome::NoData, |value| QueryOutcome::Value { value }),
            }],
            treatment,
            control: Some(control),
            max: Some(max),
            min: None,
            breaches_in_row: row,
            statistic: Some(1.0 + f64::from(row) * 10.0),
            threshold: Some(40.0),
            verdict,
        }
    };
    let mut timeline = vec![
        json!({ "at": at(0), "event": "started", "by": { "id": "tok-a", "name": "alice" }, "stage": 0, "percent": 100 }),
    ];
    for minute in 1..=25i64 {
        let stage = match minute {
            1..=10 => 0,
            11..=20 => 1,
            _ => 2,
        };
        if minute == 11 || minute == 21 {
            timeline.push(json!({ "at": at(minute - 1), "event": "stage_advanced", "by": { "id": "system:controller", "name": "controller" },
                                  "stage": stage, "percent": if stage == 2 { 10 } else { 100 } }));
        }
        let errors = match minute {
            24 => 0.026,
            25 => 0.031,
            _ => 0.010 + (minute % 3) as f64 * 0.001,
        };
        let row = match minute {
            24 => 1,
            25 => 2,
            _ => 0,
        };
        let latency = (minute != 23).then_some(0.21 + (minute % 4) as f64 * 0.01);
        let verdict = match minute {
            10 | 20 => Verdict::Advance,
            25 => Verdict::Rollback,
            _ => Verdict::Hold,
        };
        let record = AnalysisRecord {
            at: t0 + time::Duration::minutes(minute),
            stage,
            percent: if stage == 2 { 10.0 } else { 100.0 },
            treatment_variant: "on".into(),
            control_variant: "off".into(),
            checks: vec![
                check(
                    "error-rate",
                    CheckKind::Ratio,
                    Some(errors),
                    0.011,
                    0.02,
                    row,
                ),
                check("p99-latency", CheckKind::Value, latency, 0.22, 0.3, 0),
            ],
            exposures: None,
            baked_seconds: 60,
            verdict,
            reason: format!("interval {minute}: {}", verdict.as_str()),
        };
        // The report reads a record from whichever event carries it.
        timeline.push(json!({ "at": at(minute), "event": "announced", "by": { "id": "system:controller", "name": "controller" },
                              "analysis": serde_json::to_value(&record).unwrap() }));
    }
    timeline.push(json!({ "at": at(25), "event": "rolled_back", "by": { "id": "system:controller", "name": "controller" },
                          "stage": 2, "percent": 10, "comment": "error-rate above 0.02 twice in a row" }));
    json!({
        "id": "rel-synthetic", "salt": "rel-synthetic", "state": "rolled_back",
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": "new-checkout", "variant": "on" } ],
        "stages": [ { "audience": "alpha", "percent": 100 }, { "audience": "beta", "percent": 100 },
                    { "audience": "general", "percent": 10 }, { "audience": "general", "percent": 100 } ],
        "analysis": { "interval": "1m", "checks": [
            { "name": "error-rate", "kind": "ratio", "critical": true, "errors": "e", "total": "t", "max": 0.02 },
            { "name": "p99-latency", "kind": "value", "query": "q", "max": 0.3 } ] },
        "author": { "id": "tok-a", "name": "alice" }, "approvals": [],
        "current_stage": 2, "current_percent": 10,
        "created_at": at(-5), "timeline": timeline
    })
}

#[tokio::test]
async fn a_report_with_health_charts_renders_in_headless_chromium() {
    use rollgate_server::service::reports::{build, html, model::KpiReport};
    let release: rollgate_server::service::releases::Release =
        serde_json::from_value(controller_release()).unwrap();
    let report = build::build(
        &release,
        time::macros::datetime!(2030-01-01 10:00 UTC),
        KpiReport {
            prometheus_url: None,
            measured: false,
            note: None,
            results: Vec::new(),
        },
    );
    assert_eq!(report.analysis_records, 25);
    let rendered = render("rolled-back-by-the-controller", &html::render(&report)).await;
    assert_real_picture(&rendered.png);
    let dom = rendered.dom;
    for chart in ["chart-rollout", "chart-health-0", "chart-health-1"] {
        assert!(
            dom.contains(&format!("id=\"{chart}\"")),
            "{chart} in the DOM"
        );
    }
    assert_eq!(
        dom.matches("<svg").count(),
        3,
        "rollout, error rate, latency"
    );
    assert!(dom.contains("failed check"), "the breach is an issue");
    assert!(
        !chart(&dom, "chart-health-1").contains("no data"),
        "a check with data is drawn"
    );
}

#[tokio::test]
async fn a_check_without_data_says_so_on_its_chart() {
    use rollgate_server::service::reports::{build, html, model::KpiReport};
    let mut release = controller_release();
    // Every interval's latency query came back empty.
    for event in release["timeline"].as_array_mut().unwrap() {
        if let Some(checks) = event["analysis"]["checks"].as_array_mut() {
            checks[1]["treatment"] = serde_json::Value::Null;
            checks[1]["control"] = serde_json::Value::Null;
            checks[1]["verdict"] = serde_json::json!("no_data");
        }
    }
    let release: rollgate_server::service::releases::Release =
        serde_json::from_value(release).unwrap();
    let report = build::build(
        &release,
        time::macros::datetime!(2030-01-01 10:00 UTC),
        KpiReport {
            prometheus_url: None,
            measured: false,
            note: None,
            results: Vec::new(),
        },
    );
    let rendered = render("no-data", &html::render(&report)).await;
    assert_real_picture(&rendered.png);
    let empty = chart(&rendered.dom, "chart-health-1");
    assert!(
        empty.contains("p99-latency") && empty.contains("— no data"),
        "{empty}"
    );
    let drawn = &empty[empty.find("<svg").unwrap()..];
    assert!(
        drawn.contains("no data"),
        "written across the chart: {drawn}"
    );
    assert!(!chart(&rendered.dom, "chart-health-0").contains("no data"));
}
