//! The release page draws a chart per health check — treatment against control, with
//! the bound — and the charts grow while the page is open, as the controller records
//! analyses, without a reload.

use std::sync::Arc;

use rollgate_e2e::Server;
use rollgate_e2e::prometheus_stub::PrometheusStub;
use rollgate_e2e::wait::{holds, until};
use serde_json::{Value, json};

use super::support::{Browser, PATIENCE};
use crate::releases::support::{Desk, canary};

/// Treatment errs twice as often as control; both stay under the bound.
fn answer(promql: &str) -> Option<f64> {
    let treatment = promql.contains("variant=\"on\"");
    Some(match (promql.contains("5.."), treatment) {
        (true, true) => 2.0,
        (true, false) => 1.0,
        (false, _) => 100.0,
    })
}

fn plan_with_check(prometheus: &str) -> Value {
    let mut plan = canary(&["dash-chart"]);
    plan["analysis"] = json!({
        "prometheus_url": prometheus, "interval": "1s", "min_samples": 5,
        "checks": [ { "name": "error-rate", "kind": "ratio", "critical": true,
            "errors": "sum(increase(http_requests_total{variant=\"{{variant}}\",code=~\"5..\"}[{{window}}]))",
            "total": "sum(increase(http_requests_total{variant=\"{{variant}}\"}[{{window}}]))",
            "max": 0.05 } ]
    });
    plan
}

/// How many points the chart of `check` draws, per colour.
async fn markers(browser: &Browser, check: &str) -> i64 {
    browser
        .client
        .execute(
            "const f = document.querySelector('figure[data-check=\"' + arguments[0] + '\"]');\
             return f ? f.querySelectorAll('svg circle').length : -1;",
            vec![json!(check)],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_release_page_charts_each_check_and_the_charts_follow_the_controller() {
    let stub = PrometheusStub::start(Arc::new(answer)).await;
    let server = Server::start_with(rollgate_e2e::Options {
        env: vec![("ROLLGATE_PROMETHEUS_URL".to_owned(), stub.url.clone())],
        ..rollgate_e2e::Options::default()
    })
    .await;
    let desk = Desk::around(server).await;
    desk.flag("dash-chart").await;
    let id = desk.approved(plan_with_check(&stub.url)).await;

    let browser = Browser::open(&desk.server.url).await;
    browser.sign_in(&desk.viewer).await;
    browser.visit(&format!("/releases/{id}")).await;
    browser.wait_text("#release-state", "approved").await;
    assert!(
        !browser.has("#checks").await,
        "no chart before any analysis"
    );
    browser
        .client
        .execute("window.__same_page = true;", vec![])
        .await
        .unwrap();

    desk.must(&desk.manager, &id, "start", json!({})).await;
    browser.wait_text("#checks", "error-rate").await;
    let caption = browser
        .text("figure[data-check='error-rate'] figcaption")
        .await;
    assert!(
        caption.contains("treatment") && caption.contains("≤ 0.05"),
        "{caption}"
    );
    // Points for both arms; more arrive as the controller goes on, in place.
    let first = until(PATIENCE, "a chart with points", || async {
        let n = markers(&browser, "error-rate").await;
        holds(n >= 2, || n).map(|()| n)
    })
    .await;
    until(PATIENCE, "the chart to grow", || async {
        let n = markers(&browser, "error-rate").await;
        holds(n > first, || n)
    })
    .await;
    let lines = browser
        .client
        .execute(
            "return document.querySelectorAll('#checks svg polyline, #checks svg path').length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(lines.as_i64().unwrap() > 0, "the chart draws lines");
    let same = browser
        .client
        .execute("return window.__same_page === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same, json!(true), "the chart moved without a reload");
    browser.check_page("release-charts").await;
    browser.screenshot("release-charts", 1280).await;
    browser.screenshot("release-charts", 375).await;
    browser
        .assert_no_console_errors("the charted release page")
        .await;
    browser.close().await;
}
