//! The preflight against a real Prometheus (the stack's, scraping the demo application
//! and Rollgate): run by the healthy canary's test on its own stack before its release
//! starts, so it costs no Prometheus of its own.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::Stack;

/// The preflight against the stack's real Prometheus: a query it refuses is a failure
/// (recorded at submit, a `preflight_failed` warning in the preview), a KPI without data
/// yet is only reported. The release is cancelled before it starts.
pub(super) async fn reports_refused_queries_and_missing_data(stack: &Stack, plan: &Value) {
    let mut broken = plan.clone();
    broken["analysis"]["checks"][1]["query"] = json!(
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{variant=\"{{variant}}\"}[{{window}}]))"
    );
    broken["kpis"] = json!([ { "name": "conversion",
        "query": "sum(increase(orders_total{variant=\"{{variant}}\"}[{{window}}]))", "target": { "min": 1 } } ]);
    let created = stack
        .server
        .admin(Method::POST, "/api/v1/releases", Some(broken))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let submitted = stack
        .server
        .admin(Method::POST, &format!("/api/v1/releases/{id}/submit"), None)
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
    let preflight = &submitted.body["preflight"];
    let queries = preflight["queries"].as_array().unwrap();
    assert_eq!(
        queries.len(),
        4 + 2 + 1,
        "two checks for both cohorts, one KPI"
    );
    let refused: Vec<&Value> = queries
        .iter()
        .filter(|q| q["outcome"]["kind"] == "error")
        .collect();
    assert_eq!(preflight["failed"], 2, "{preflight}");
    assert!(refused.iter().all(|q| q["name"] == "p99-latency"));
    assert!(
        refused[0]["outcome"]["message"]
            .as_str()
            .unwrap()
            .contains("Prometheus refused the query"),
        "{preflight}"
    );
    let kpi = queries.iter().find(|q| q["source"] == "kpi").unwrap();
    assert_eq!(kpi["outcome"]["kind"], "no_data", "{kpi}");
    let preview = stack
        .server
        .admin(Method::GET, &format!("/api/v1/releases/{id}/preview"), None)
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.body);
    let codes: Vec<&Value> = preview.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["code"])
        .collect();
    assert_eq!(codes, [&json!("preflight_failed")]);
    let cancelled = stack
        .server
        .admin(Method::POST, &format!("/api/v1/releases/{id}/cancel"), None)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
}
