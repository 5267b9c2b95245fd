//! What the report and changelog tests share: a desk whose server asks a Prometheus
//! stub for KPIs, a plan with a KPI, a release driven by hand to its rollback, and raw
//! GETs (the body exactly as sent).

use std::sync::Arc;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::prometheus_stub::PrometheusStub;
use serde_json::{Value, json};

use crate::releases::support::{Desk, canary, manual_clock};

/// A server on the manual clock whose `prometheus_url` is a stub answering 0.025 for
/// the treatment (`variant="on"`) and 0.035 for the control.
pub async fn desk_with_prometheus() -> (Desk, PrometheusStub) {
    let stub = PrometheusStub::start(Arc::new(|promql: &str| {
        Some(if promql.contains("variant=\"on\"") {
            0.025
        } else {
            0.035
        })
    }))
    .await;
    let mut options = manual_clock();
    options
        .env
        .push(("ROLLGATE_PROMETHEUS_URL".to_owned(), stub.url.clone()));
    let desk = Desk::around(Server::start_with(options).await).await;
    desk.flag("new-checkout").await;
    (desk, stub)
}

/// [`canary`] for `new-checkout` with a conversion KPI (at least 3 %).
pub fn plan_with_kpi() -> Value {
    let mut plan = canary(&["new-checkout"]);
    plan["kpis"] = json!([ { "name": "conversion",
        "query": "sum(rate(orders_total{variant=\"{{variant}}\"}[{{window}}])) / sum(rate(visits_total{variant=\"{{variant}}\"}[{{window}}]))",
        "target": { "min": 0.03 } } ]);
    plan
}

/// Drives a release by hand: start at T0; beta at +10m; general 1 % at +40m; 5 % at
/// +45m; paused at +47m with an incident; rolled back at +50m. Returns its id.
pub async fn rolled_back_by_hand(desk: &Desk) -> String {
    let id = desk.approved(plan_with_kpi()).await;
    let m = desk.manager.clone();
    desk.must(&m, &id, "start", json!({})).await;
    desk.advance("10m").await;
    desk.must(&m, &id, "promote", json!({})).await;
    desk.advance("30m").await;
    desk.must(&m, &id, "promote", json!({ "comment": "beta looks fine" }))
        .await;
    desk.advance("5m").await;
    desk.must(&m, &id, "percent", json!({ "percent": 5 })).await;
    desk.advance("2m").await;
    desk.must(
        &m,
        &id,
        "pause",
        json!({ "comment": "error spike on checkout, see https://status.example/incidents?id=7&sev=2" }),
    )
    .await;
    desk.must(
        &m,
        &id,
        "incidents",
        json!({ "what": "Checkout errors at 4 %", "action": "Paused; payments team paged" }),
    )
    .await;
    desk.advance("3m").await;
    desk.must(
        &m,
        &id,
        "rollback",
        json!({ "reason": "payment provider timeouts" }),
    )
    .await;
    id
}

/// A raw answer.
pub struct Raw {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub text: String,
}

impl Raw {
    /// A header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

/// `GET path` as the desk's viewer, with `Accept` (if any).
pub async fn view(desk: &Desk, path: &str, accept: Option<&str>) -> Raw {
    get(&desk.server, path, Some(&desk.viewer), accept).await
}

/// Runs the `rollgate` client with `args` against the desk's server as its viewer.
pub async fn cli(desk: &Desk, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(rollgate_e2e::binary())
        .args(args)
        .env("ROLLGATE_URL", &desk.server.url)
        .env("ROLLGATE_TOKEN", &desk.viewer)
        .output()
        .await
        .unwrap()
}

/// `GET path` with `token` (if any) and `Accept` (if any).
pub async fn get(server: &Server, path: &str, token: Option<&str>, accept: Option<&str>) -> Raw {
    let mut request = server.request(Method::GET, path, token);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Raw {
        status,
        headers,
        text,
    }
}
