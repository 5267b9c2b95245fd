//! The HTML report renders in a real browser: headless Chromium (Debian's, installed by
//! `scripts/test`) screenshots the page the server served and dumps its DOM. The page
//! must load without console errors or refused resources, the screenshot must be a
//! real picture (not one colour), and the DOM must hold the SVG charts. The page and
//! the screenshot are kept under `target/report-artifacts/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: failing loudly is the point"
)]

mod releases_support;
mod reports_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use reports_support::{desk_with_prometheus, rolled_back_by_hand, view};
use rollgate_e2e::tools::chromium;
use rollgate_e2e::workspace;

/// Where the page and its screenshot are kept.
fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let dir = target.join("report-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium on `page` with `extra` arguments; it must succeed and the page
/// must log no error.
async fn run_chromium(page: &Path, profile: &Path, extra: &[String]) -> Output {
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .kill_on_drop(true);
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), command.output())
        .await
        .expect("chromium finished within two minutes")
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "chromium failed: {log}");
    let errors = page_errors(&log);
    assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    output
}

/// Lines of Chromium's log that report a problem with the page itself.
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.contains("CONSOLE")
                || line.contains("Refused to")
                || line.contains("Uncaught")
                || line.contains("ERR_FILE_NOT_FOUND")
                || line.contains("net::ERR_")
        })
        .collect()
}

/// A page as Chromium rendered it.
struct Rendered {
    /// The screenshot (PNG, 1280×2000).
    png: Vec<u8>,
    /// The DOM after loading.
    dom: String,
}

/// Writes `html` as `<name>.html` among the artifacts, screenshots it (kept as
/// `<name>.png`) and dumps its DOM (`<name>.dom.html`); both runs must succeed without
/// any error from the page.
async fn render(name: &str, html: &str) -> Rendered {
    let dir = artifacts();
    let page = dir.join(format!("{name}.html"));
    let screenshot = dir.join(format!("{name}.png"));
    std::fs::write(&page, html).unwrap();
    let _ = std::fs::remove_file(&screenshot);
    let profile = tempfile::tempdir().unwrap();
    let shot = run_chromium(
        &page,
        profile.path(),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000".to_owned(),
        ],
    )
    .await;
    let png = std::fs::read(&screenshot).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {} ({e}): {}",
            screenshot.display(),
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    let dom = run_chromium(&page, profile.path(), &["--dump-dom".to_owned()]).await;
    let dom = String::from_utf8(dom.stdout).unwrap();
    std::fs::write(dir.join(format!("{name}.dom.html")), &dom).unwrap();
    Rendered { png, dom }
}

/// Panics unless `png` is a 1280×2000 picture of more than a few colours.
fn assert_real_picture(png: &[u8]) {
    assert!(
        png.len() > 20_000,
        "a real page, not a blank one: {} bytes",
        png.len()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (1280, 2000));
    let channels = frame.color_type.samples();
    let colours: HashSet<&[u8]> = pixels[..frame.buffer_size()].chunks(channels).collect();
    assert!(
        colours.len() > 50,
        "{} colours: the page did not render",
        colours.len()
    );
}

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
    use rollgate_server::reports::{build, html, model::KpiReport};
    let release: rollgate_server::releases::Release =
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
}
