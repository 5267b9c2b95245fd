//! `/metrics` of the real binary: `promtool check metrics` accepts it, and after OFREP
//! traffic it counts evaluations by flag, variant and reason, HTTP requests by route and
//! status with the latency histogram, the store revision and snapshot compile times;
//! the controller's dropped decisions are there by cause from the start.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::exposition::{parse, promtool_check, value};
use rollgate_e2e::ofrep::{bulk, evaluate_for, seed_fixture, send};
use serde_json::json;

const SINGLE_ROUTE: &str = "/ofrep/v1/evaluate/flags/{key}";

#[tokio::test]
async fn promtool_accepts_metrics_on_a_fresh_server() {
    let server = Server::start().await;
    let response = send(server.request(Method::GET, "/metrics", None)).await;
    assert_eq!(response.status, StatusCode::OK);
    let kind = response.header("content-type").unwrap_or_default();
    assert!(kind.starts_with("text/plain"), "{kind}");
    promtool_check(&response.text);
    let samples = parse(&response.text);
    assert!(value(&samples, "rollgate_store_revision", &[]).is_some());
    assert!(value(&samples, "rollgate_snapshot_compile_seconds_count", &[]).unwrap() >= 1.0);
    for cause in ["version_conflict", "conflict", "refused", "lease_lost"] {
        assert_eq!(
            value(
                &samples,
                "rollgate_controller_decisions_dropped_total",
                &[("cause", cause)]
            ),
            Some(0.0),
            "every cause is exported from the start: {cause}"
        );
    }
}

#[tokio::test]
async fn after_ofrep_traffic_metrics_count_evaluations_requests_and_latency() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let nl = json!({ "targetingKey": "user-1", "country": "NL" });
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            evaluate_for(&server, &sdk, "static-on", nl.clone())
                .await
                .status,
        );
    }
    for _ in 0..2 {
        statuses.push(
            evaluate_for(&server, &sdk, "checkout-theme", nl.clone())
                .await
                .status,
        );
    }
    statuses.push(
        evaluate_for(&server, &sdk, "maintenance-mode", nl.clone())
            .await
            .status,
    );
    statuses.push(
        evaluate_for(&server, &sdk, "no-such-flag", nl.clone())
            .await
            .status,
    );
    statuses.push(
        evaluate_for(&server, &sdk, "new-checkout", json!({}))
            .await
            .status,
    );
    let split = evaluate_for(&server, &sdk, "new-checkout", nl.clone()).await;
    statuses.push(split.status);
    let split_variant = split.json()["variant"].as_str().unwrap().to_owned();
    let bulk_answer = bulk(&server, &sdk, &json!({ "context": nl }).to_string(), None).await;
    assert_eq!(bulk_answer.status, StatusCode::OK);

    let text = server.metrics().await;
    promtool_check(&text);
    let samples = parse(&text);
    let evaluations = |flag: &str, variant: &str, reason: &str| {
        value(
            &samples,
            "rollgate_evaluations_total",
            &[
                ("environment", "production"),
                ("flag", flag),
                ("variant", variant),
                ("reason", reason),
            ],
        )
    };
    // Single evaluations plus one each from the bulk request.
    assert_eq!(evaluations("static-on", "on", "STATIC"), Some(4.0));
    assert_eq!(
        evaluations("checkout-theme", "ocean", "TARGETING_MATCH"),
        Some(3.0)
    );
    assert_eq!(
        evaluations("maintenance-mode", "off", "DISABLED"),
        Some(2.0)
    );
    assert_eq!(
        evaluations("new-checkout", &split_variant, "SPLIT"),
        Some(2.0)
    );
    assert_eq!(evaluations("discount-rate", "ten", "STATIC"), Some(1.0));
    for (code, count) in [("FLAG_NOT_FOUND", 1.0), ("TARGETING_KEY_MISSING", 1.0)] {
        assert_eq!(
            value(
                &samples,
                "rollgate_evaluation_errors_total",
                &[("environment", "production"), ("code", code)]
            ),
            Some(count),
            "{code}"
        );
    }

    let requests = |route: &str, status: &str| {
        value(
            &samples,
            "rollgate_http_requests_total",
            &[("route", route), ("method", "POST"), ("status", status)],
        )
    };
    let count = |status: StatusCode| statuses.iter().filter(|s| **s == status).count() as f64;
    assert_eq!(requests(SINGLE_ROUTE, "200"), Some(count(StatusCode::OK)));
    assert_eq!(requests(SINGLE_ROUTE, "404"), Some(1.0));
    assert_eq!(requests(SINGLE_ROUTE, "400"), Some(1.0));
    assert_eq!(requests("/ofrep/v1/evaluate/flags", "200"), Some(1.0));

    let total = statuses.len() as f64;
    let histogram = |suffix: &str, extra: &[(&str, &str)]| {
        let mut labels = vec![("route", SINGLE_ROUTE)];
        labels.extend_from_slice(extra);
        value(
            &samples,
            &format!("rollgate_http_request_duration_seconds{suffix}"),
            &labels,
        )
    };
    assert_eq!(histogram("_count", &[]), Some(total));
    assert_eq!(histogram("_bucket", &[("le", "+Inf")]), Some(total));
    assert!(histogram("_sum", &[]).unwrap() > 0.0);
    let buckets: Vec<f64> = samples
        .iter()
        .filter(|s| {
            s.name == "rollgate_http_request_duration_seconds_bucket"
                && s.labels["route"] == SINGLE_ROUTE
        })
        .map(|s| s.value)
        .collect();
    assert!(
        buckets.len() > 5,
        "a latency histogram with buckets: {buckets:?}"
    );
    assert!(
        buckets.windows(2).all(|w| w[0] <= w[1]),
        "cumulative buckets"
    );

    // The store revision gauge is the revision the server serves.
    let ready = server.admin(Method::GET, "/readyz", None).await;
    let revision = value(&samples, "rollgate_store_revision", &[]).unwrap();
    assert_eq!(Some(revision), ready.body["served_revision"].as_f64());
    assert!(revision >= 10.0, "seed + 9 flags + a token: {revision}");
    let compiles = value(&samples, "rollgate_snapshot_compile_seconds_count", &[]).unwrap();
    assert!(compiles >= 10.0, "a compile per write: {compiles}");
    assert!(
        value(
            &samples,
            "rollgate_snapshot_compile_seconds_bucket",
            &[("le", "+Inf")]
        ) == Some(compiles)
    );
}
