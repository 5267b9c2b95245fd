//! The watch after release, with a real Prometheus scraping the real demo application
//! (`super::support::Stack`): once the last stage completes, the controller keeps
//! measuring the released variant against its guardrails.
//!
//! - healthy: the watch runs its course, then the KPIs measured over it are appended to
//!   the report as a dated addendum, and the report written at completion is the same
//!   bytes as before (JSON), its Markdown the same text with the addendum after it;
//! - errors injected during an `alert` watch: a `watch_regression` event on the
//!   timeline and to a subscribed webhook, the release stays completed — until a person
//!   rolls it back, which closes the watch and its addendum says so;
//! - errors injected during a `rollback` watch: the controller rolls the release back
//!   and everyone gets control.
//!
//! Each waits on the release with a deadline; intervals are one second.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::ADMIN_TOKEN;
use serde_json::{Value, json};

use super::support::{Stack, of_kind};
use crate::releases::webhooks::receiver;

/// A one-stage plan (everyone at once, completed by the controller at its first
/// analysis with data) with a KPI and `watch`.
fn watched_plan(stack: &Stack, watch: Value) -> Value {
    let mut plan = stack.plan(
        json!([{ "audience": "general", "percent": 100 }]),
        json!({}),
    );
    plan["kpis"] = json!([{
        "name": "requests",
        "query": "sum(increase(http_requests_total{variant=\"{{variant}}\"}[{{window}}]))",
        "target": { "min": 1 }
    }]);
    plan["watch"] = watch;
    plan
}

/// Waits until the release completed and its report is stored; returns the report's
/// JSON and Markdown as sent then.
async fn completed(stack: &Stack, id: &str) -> (String, String) {
    stack
        .until(id, "completed", Duration::from_secs(90), |r| {
            r["state"] == "completed"
        })
        .await;
    let json = wait_stored(stack, id).await;
    let markdown = stack.report(id, "?format=md", None).await.text;
    (json, markdown)
}

async fn wait_stored(stack: &Stack, id: &str) -> String {
    rollgate_e2e::wait::until(Duration::from_secs(30), "the stored report", || async {
        let fetched = stack.report(id, "", None).await;
        if fetched.etag.as_deref() == Some("\"1\"") {
            Ok(fetched.text)
        } else {
            Err(fetched.text)
        }
    })
    .await
}

async fn addenda(stack: &Stack, id: &str) -> Vec<Value> {
    let reply = stack
        .server
        .admin(
            Method::GET,
            &format!("/api/v1/releases/{id}/report/addenda"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body.as_array().unwrap().clone()
}

/// A person's rollback of release `id`, with `reason`.
async fn rollback(stack: &Stack, id: &str, reason: &str) -> rollgate_e2e::Reply {
    stack
        .server
        .call(
            stack
                .server
                .request(
                    Method::POST,
                    &format!("/api/v1/releases/{id}/rollback"),
                    Some(ADMIN_TOKEN),
                )
                .json(&json!({ "reason": reason })),
        )
        .await
}

/// The report stored at completion is unchanged, byte for byte, and its Markdown is the
/// same text with the addendum after it.
async fn assert_report_kept(stack: &Stack, id: &str, json: &str, markdown: &str) {
    assert_eq!(
        stack.report(id, "", None).await.text,
        json,
        "never rewritten"
    );
    let now = stack.report(id, "?format=md", None).await.text;
    let added = now
        .strip_prefix(markdown)
        .unwrap_or_else(|| panic!("the report's text changed:\n{now}"));
    assert!(added.starts_with("\n## Addendum 1 ("), "{added}");
    let html = stack.report(id, "?format=html", None).await.text;
    assert!(html.contains("<h2>Addendum 1 ("), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_watch_ends_with_the_kpi_addendum_and_the_report_unchanged() {
    let stack = Stack::start().await;
    let id = stack
        .start_release(watched_plan(&stack, json!({ "duration": "12s" })))
        .await;
    let (json, markdown) = completed(&stack, &id).await;
    let release = stack.release(&id).await;
    assert_eq!(release["watch_record"]["status"], "watching", "{release}");

    let release = stack
        .until(&id, "the watch to end", Duration::from_secs(90), |r| {
            r["watch_record"]["addendum"] == 1
        })
        .await;
    assert_eq!(release["state"], "completed");
    let record = &release["watch_record"];
    assert_eq!(record["status"], "ended");
    assert!(
        record["progress"]["looks"].as_u64().unwrap() >= 2,
        "{record}"
    );
    assert!(of_kind(&release, "watch_regression").is_empty());
    assert_eq!(of_kind(&release, "watch_ended").len(), 1);

    let addenda = addenda(&stack, &id).await;
    assert_eq!(addenda.len(), 1);
    let addendum = &addenda[0];
    assert_eq!(addendum["number"], 1);
    assert_eq!(addendum["watch"]["status"], "ended");
    assert_eq!(addendum["watch"]["regressions"], json!([]));
    assert_eq!(addendum["watch"]["from"], record["started_at"]);
    assert_eq!(addendum["watch"]["to"], record["ends_at"]);
    let kpi = &addendum["kpis"]["results"][0];
    assert_eq!(kpi["scope"], "watch", "{addendum}");
    assert_eq!(kpi["window"], "12s");
    assert!(kpi["value"].as_f64().unwrap() >= 1.0, "{kpi}");
    assert_eq!(kpi["verdict"], "met", "{kpi}");
    assert_report_kept(&stack, &id, &json, &markdown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regression_during_an_alert_watch_alerts_and_a_person_may_still_roll_back() {
    let stack = Stack::start_with(vec![(
        "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS".to_owned(),
        "localhost".to_owned(),
    )])
    .await;
    let (url, mut received) = receiver(0).await;
    let hook = stack
        .server
        .admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": url, "events": ["watch_regression"] })),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let id = stack
        .start_release(watched_plan(
            &stack,
            json!({ "duration": "1h", "on_regression": "alert" }),
        ))
        .await;
    let (json, markdown) = completed(&stack, &id).await;
    stack.app.faults(0.5, 0).await;
    let release = stack
        .until(&id, "an alert", Duration::from_secs(60), |r| {
            !of_kind(r, "watch_regression").is_empty()
        })
        .await;
    assert_eq!(release["state"], "completed", "an alert does not roll back");
    let alert = of_kind(&release, "watch_regression")[0];
    assert_eq!(alert["by"]["id"], "system:controller");
    assert!(
        alert["comment"].as_str().unwrap().contains("error-rate"),
        "{alert}"
    );
    let delivered = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("the alert delivered within 30 s")
        .unwrap();
    let body: Value = serde_json::from_str(&delivered.body).unwrap();
    assert_eq!(body["event"]["event"], "watch_regression", "{body}");

    // A person rolls the release back during the watch: it closes the watch.
    let reply = rollback(&stack, &id, "errors since the release").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["state"], "rolled_back");
    assert_eq!(stack.served("user-1").await, "off");
    let release = stack
        .until(&id, "the addendum", Duration::from_secs(60), |r| {
            r["watch_record"]["addendum"] == 1
        })
        .await;
    assert_eq!(release["watch_record"]["status"], "rolled_back");
    let addendum = &addenda(&stack, &id).await[0];
    assert_eq!(addendum["watch"]["status"], "rolled_back");
    let actions: Vec<&str> = addendum["watch"]["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"alert"), "{addendum}");
    assert_eq!(actions.last(), Some(&"rollback"), "{addendum}");
    assert_report_kept(&stack, &id, &json, &markdown).await;
    // Over: nothing more to roll back.
    let again = rollback(&stack, &id, "again").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regression_during_a_rollback_watch_rolls_the_release_back() {
    let stack = Stack::start().await;
    let id = stack
        .start_release(watched_plan(
            &stack,
            json!({ "duration": "1h", "checks": ["error-rate"], "on_regression": "rollback" }),
        ))
        .await;
    let (json, markdown) = completed(&stack, &id).await;
    // Completed: a completed release not under watch could not be rolled back, this one
    // can — but it is the controller's to do.
    stack.app.faults(0.5, 0).await;
    let release = stack
        .until(&id, "rolled back", Duration::from_secs(60), |r| {
            r["state"] == "rolled_back" && r["watch_record"]["addendum"] == 1
        })
        .await;
    let rolled = of_kind(&release, "rolled_back");
    assert_eq!(rolled.len(), 1);
    assert_eq!(rolled[0]["by"]["id"], "system:controller");
    assert_eq!(rolled[0]["from"], "completed");
    assert!(
        rolled[0]["comment"]
            .as_str()
            .unwrap()
            .contains("regression during the watch after release: error-rate"),
        "{}",
        rolled[0]
    );
    for n in 0..50 {
        assert_eq!(stack.served(&format!("user-{n}")).await, "off");
    }
    let addendum = &addenda(&stack, &id).await[0];
    assert_eq!(addendum["watch"]["status"], "rolled_back");
    assert_eq!(addendum["watch"]["on_regression"], "rollback");
    assert_report_kept(&stack, &id, &json, &markdown).await;
}
