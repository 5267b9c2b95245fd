//! The validation report end to end: a release driven by hand through the admin API
//! (no controller records), its report in JSON, Markdown and HTML, KPIs measured
//! against a Prometheus stub, the report frozen once the release ended, interim
//! reports while it runs, the errors, and the CLI.

use reqwest::StatusCode;
use std::time::Duration;

use rollgate_e2e::openapi::ApiDocument;
use rollgate_e2e::wait;
use serde_json::{Value, json};

use super::support::{cli, desk_with_prometheus, get, plan_with_kpi, rolled_back_by_hand, view};
use crate::releases::support::{Desk, T0};

/// Unix time of `T0` plus `minutes`, as the stub receives it.
fn unix(minutes: i64) -> String {
    let t0 = time::OffsetDateTime::parse(T0, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp();
    format!("{}.000", t0 + minutes * 60)
}

#[tokio::test]
async fn a_release_rolled_back_by_hand_has_a_complete_report() {
    let (desk, stub) = desk_with_prometheus().await;
    let id = rolled_back_by_hand(&desk).await;
    // Nobody asks for it: the report writer stores it right after the rollback.
    let stored = wait::until(
        Duration::from_secs(20),
        "the final report to be written",
        || {
            let server = &desk.server;
            let query = format!("kind=report&key={id}");
            async move {
                let events = server.audit(&query).await;
                events
                    .into_iter()
                    .next()
                    .ok_or("no report in the audit log")
            }
        },
    )
    .await;
    assert_eq!(stored["actor"], "system:reports");
    assert_eq!(
        stored["before"],
        Value::Null,
        "written where there was none"
    );
    let path = format!("/api/v1/releases/{id}/report");
    let answer = view(&desk, &path, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.header("content-type"), "application/json");
    assert_eq!(answer.header("etag"), "\"1\"", "stored once: version 1");
    let report = answer.json();
    assert_eq!(
        stored["after"], report,
        "the report served is the one written"
    );
    let api = ApiDocument::fetch(&desk.server).await;
    api.assert_valid(
        "a report",
        &api.response_schema(&reqwest::Method::GET, "/api/v1/releases/{id}/report", 200),
        &report,
    );

    assert_eq!(report["final"], true);
    assert_eq!(report["outcome"], "rolled_back");
    assert_eq!(report["dates"]["started_at"], "2030-01-01T00:00:00Z");
    assert_eq!(report["dates"]["ended_at"], "2030-01-01T00:50:00Z");
    assert_eq!(report["dates"]["duration_seconds"], 3000);
    assert_eq!(
        report["stage_reached"],
        json!({ "index": 2, "audience": "general", "percent": 5.0, "of": 6 })
    );
    assert_eq!(report["approvals"][0]["by"], "approver");

    let stages = report["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 6);
    let span = |i: usize| {
        (
            stages[i]["opened_at"].as_str().unwrap_or("-").to_owned(),
            stages[i]["closed_at"].as_str().unwrap_or("-").to_owned(),
            stages[i]["end"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        span(0),
        (
            "2030-01-01T00:00:00Z".into(),
            "2030-01-01T00:10:00Z".into(),
            "advanced".into()
        )
    );
    assert_eq!(
        span(1),
        (
            "2030-01-01T00:10:00Z".into(),
            "2030-01-01T00:40:00Z".into(),
            "advanced".into()
        )
    );
    assert_eq!(
        span(2),
        (
            "2030-01-01T00:40:00Z".into(),
            "2030-01-01T00:50:00Z".into(),
            "rolled_back".into()
        )
    );
    assert_eq!(span(3), ("-".into(), "-".into(), "not_reached".into()));
    assert_eq!(stages[2]["percentages"], json!([1.0, 5.0]));
    assert_eq!(stages[2]["paused_seconds"], 180);
    assert_eq!(
        report["analysis_records"], 0,
        "driven by hand: no controller records"
    );

    let issues = report["issues"].as_array().unwrap();
    let kinds: Vec<&str> = issues.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["paused", "incident", "rolled_back"]);
    assert!(
        issues[0]["summary"]
            .as_str()
            .unwrap()
            .contains("error spike on checkout")
    );
    let pause_actions: Vec<&str> = issues[0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(
        pause_actions[0].contains("Checkout errors at 4 %"),
        "{pause_actions:?}"
    );
    assert!(
        pause_actions[1].starts_with("rolled the release back: payment provider timeouts"),
        "{pause_actions:?}"
    );
    assert_eq!(
        issues[1]["actions"][0]["action"],
        "Paused; payments team paged"
    );
    assert!(
        issues[2]["summary"]
            .as_str()
            .unwrap()
            .contains("stage 3 (general 5 %)")
    );
    assert_eq!(report["changelog"]["status"], "withdrawn");
    let withdrawn: Vec<&str> = report["changelog"]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["withdrawn_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        withdrawn,
        vec!["2030-01-01T00:50:00Z"; 2],
        "alpha and beta, both taken back"
    );

    // KPIs: each stage reached and the whole release, per variant, at each range's end.
    let kpis = &report["kpis"];
    assert_eq!(kpis["measured"], true, "{kpis}");
    let results = kpis["results"].as_array().unwrap();
    let scopes: Vec<(Value, Value, Value)> = results
        .iter()
        .map(|r| (r["scope"].clone(), r["stage"].clone(), r["window"].clone()))
        .collect();
    assert_eq!(
        scopes,
        vec![
            (json!("stage"), json!(0), json!("10m")),
            (json!("stage"), json!(1), json!("30m")),
            (json!("stage"), json!(2), json!("10m")),
            (json!("release"), Value::Null, json!("50m")),
        ]
    );
    for result in results {
        assert_eq!(result["value"], 0.025);
        assert_eq!(result["control"], 0.035);
        assert_eq!(
            result["verdict"], "missed",
            "0.025 is below the 0.03 minimum"
        );
    }
    let queries = stub.queries();
    assert!(
        queries
            .iter()
            .any(|q| q.time == unix(40) && q.promql.contains("variant=\"on\"}[30m]")),
        "beta measured over its 30 minutes at its close: {queries:?}"
    );
    assert!(
        queries
            .iter()
            .any(|q| q.time == unix(50) && q.promql.contains("variant=\"off\"}[50m]"))
    );

    // Markdown and HTML, by Accept and by ?format=.
    let markdown = view(&desk, &path, Some("text/markdown")).await;
    assert_eq!(
        markdown.header("content-type"),
        "text/markdown; charset=utf-8"
    );
    assert!(
        markdown
            .text
            .starts_with("# Validation report: Checkout v2 2.4.0")
    );
    for part in [
        "## Before the start",
        "## Stages",
        "## Rollout",
        "## KPIs",
        "## Issues and actions",
        "## Changelog",
        "payment provider timeouts",
        "| conversion | stage 2 (beta) |",
        // A web address as written: an autolink, its `&` and `_` untouched.
        "<https://status.example/incidents?id=7&sev=2>",
        // The rollout as the share of everyone, with the pause and the rollback.
        "| 2030-01-01 00:45:00 UTC | 3 (general) | 5 % | 5 % | percent set |",
        "| 2030-01-01 00:10:00 UTC | 2 (beta) | 100 % | 0 % | stage advanced |",
        "| 2030-01-01 00:47:00 UTC |  |  |  | paused |",
        "| 2030-01-01 00:50:00 UTC | — | 0 % | 0 % | rolled back |",
    ] {
        assert!(markdown.text.contains(part), "{part} in {}", markdown.text);
    }
    assert!(!markdown.text.contains("&amp;"), "{}", markdown.text);
    let html = view(
        &desk,
        &format!("{path}?format=html"),
        Some("application/json"),
    )
    .await;
    assert_eq!(
        html.header("content-type"),
        "text/html; charset=utf-8",
        "?format= wins over Accept"
    );
    assert!(
        html.header("content-security-policy")
            .starts_with("default-src 'none'")
    );
    assert!(html.text.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.text.matches("<svg").count(),
        1,
        "the rollout chart; no health records"
    );

    // Frozen: what a fresh generation would change (timeline, clock, Prometheus) does
    // not touch the stored report.
    stub.answer_with(std::sync::Arc::new(|_| Some(1.0)));
    desk.must(
        &desk.manager,
        &id,
        "incidents",
        json!({ "what": "post-mortem", "action": "written" }),
    )
    .await;
    desk.advance("1h").await;
    let again = view(&desk, &path, None).await;
    assert_eq!(again.text, answer.text, "byte for byte");
    assert_eq!(again.header("etag"), "\"1\"");
    let markdown_again = view(&desk, &path, Some("text/markdown")).await;
    assert_eq!(markdown_again.text, markdown.text);
    let writes = desk.server.audit(&format!("kind=report&key={id}")).await;
    assert_eq!(writes.len(), 1, "one write of the report: {writes:?}");
}

#[tokio::test]
async fn a_running_release_has_an_interim_report_that_is_not_stored() {
    let (desk, stub) = desk_with_prometheus().await;
    let id = desk.approved(plan_with_kpi()).await;
    let path = format!("/api/v1/releases/{id}/report");
    let before = view(&desk, &path, None).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.json()["stage_reached"], Value::Null);
    assert_eq!(
        before.json()["kpis"]["results"],
        json!([]),
        "nothing to measure before the start"
    );
    desk.must(&desk.manager, &id, "start", json!({})).await;
    desk.advance("5m").await;
    let running = view(&desk, &path, None).await;
    assert_eq!(running.header("etag"), "", "not stored");
    let report = running.json();
    assert_eq!(report["final"], false);
    assert_eq!(report["outcome"], "running");
    assert_eq!(report["dates"]["duration_seconds"], 300);
    assert_eq!(report["stages"][0]["end"], "open");
    assert_eq!(report["kpis"]["results"][0]["window"], "5m");
    assert_eq!(report["kpis"]["results"][0]["verdict"], "missed");
    // Prometheus has nothing for the treatment: no data, not a miss. (KPIs are measured
    // again once an interval has passed, however often the report is read.)
    stub.answer_with(std::sync::Arc::new(|promql: &str| {
        (!promql.contains("variant=\"on\"")).then_some(0.04)
    }));
    desk.advance("1m").await;
    let empty = view(&desk, &path, None).await.json();
    let result = &empty["kpis"]["results"][0];
    assert_eq!(
        (result["verdict"].clone(), result["control"].clone()),
        (json!("no_data"), json!(0.04))
    );
    assert_eq!(result["measurements"][0]["problem"], "no data");
    let html = view(&desk, &format!("{path}?format=html"), None).await;
    assert!(html.text.contains("Interim report"));
    assert!(
        desk.server
            .audit(&format!("kind=report&key={id}"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn kpis_are_not_measured_without_a_prometheus_and_the_report_still_answers() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let id = desk.approved(plan_with_kpi()).await;
    // With no Prometheus the KPI's preflight query fails: the start says so.
    desk.must(
        &desk.manager,
        &id,
        "start",
        json!({ "acknowledge": ["preflight_failed"] }),
    )
    .await;
    desk.must(
        &desk.manager,
        &id,
        "rollback",
        json!({ "reason": "changed our minds" }),
    )
    .await;
    let report = view(&desk, &format!("/api/v1/releases/{id}/report"), None).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let kpis = &report.json()["kpis"];
    assert_eq!(kpis["measured"], false);
    assert!(
        kpis["note"]
            .as_str()
            .unwrap()
            .contains("no Prometheus is configured")
    );
    assert!(
        kpis["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["verdict"] == "not_measured")
    );
}

#[tokio::test]
async fn report_requests_are_checked() {
    let (desk, _stub) = desk_with_prometheus().await;
    let id = desk.approved(plan_with_kpi()).await;
    let path = format!("/api/v1/releases/{id}/report");
    let bad_format = view(&desk, &format!("{path}?format=pdf"), None).await;
    assert_eq!(bad_format.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_format.json()["field"], "format");
    let not_acceptable = view(&desk, &path, Some("image/png")).await;
    assert_eq!(not_acceptable.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(not_acceptable.json()["field"], "Accept");
    let wildcard = view(&desk, &path, Some("text/plain, */*;q=0.1")).await;
    assert_eq!(wildcard.header("content-type"), "application/json");
    let missing = view(&desk, "/api/v1/releases/rel-nope/report", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&desk.server, &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let sdk = get(&desk.server, &path, Some(&desk.sdk), None).await;
    assert!(
        matches!(sdk.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
        "{}",
        sdk.status
    );
    let post = desk.act(&desk.manager, &id, "report", json!({})).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_cli_prints_and_saves_the_report_in_every_format() {
    let (desk, _stub) = desk_with_prometheus().await;
    let id = rolled_back_by_hand(&desk).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let desk = &desk;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = cli(desk, &args).await;
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(
                output.status.success(),
                "{args:?}: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            stdout
        }
    };
    let markdown = run(vec!["release".into(), "report".into(), id.clone()]).await;
    assert!(
        markdown.starts_with("# Validation report: Checkout v2 2.4.0"),
        "{markdown}"
    );
    let json_text = run(vec![
        "release".into(),
        "report".into(),
        id.clone(),
        "--json".into(),
    ])
    .await;
    let stored = view(&desk, &format!("/api/v1/releases/{id}/report"), None).await;
    assert_eq!(
        json_text.trim_end(),
        stored.text,
        "the stored JSON as it is"
    );
    let file = dir.path().join("report.html");
    let quiet = run(vec![
        "release".into(),
        "report".into(),
        id.clone(),
        "--format".into(),
        "html".into(),
        "--output".into(),
        file.display().to_string(),
    ])
    .await;
    assert!(quiet.is_empty());
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
    let unknown = cli(&desk, &["release", "report", "rel-nope"]).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
}
