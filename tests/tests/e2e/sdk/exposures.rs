//! Exposures: what the SDK evaluated locally shows up in `rollgate_evaluations_total`,
//! next to OFREP's counts; malformed reports are refused with the field named.

use reqwest::{Method, StatusCode};
use rollgate_sdk::Context;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn local_evaluations_are_reported_into_the_evaluation_counters() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("a", "on", "off")).await;
    let key = server.sdk_key("production").await;
    let client = sdk(&server.url, &key)
        .exposure_interval(None)
        .build()
        .await
        .unwrap();
    for i in 0..7 {
        client.bool_value("a", &Context::with_targeting_key(format!("u{i}")), false);
    }
    client.bool_value("missing", &Context::new(), false);
    client.close().await.unwrap();
    let series = r#"rollgate_evaluations_total{environment="production",flag="a",reason="STATIC",variant="on"}"#;
    assert_eq!(metric(&server, series).await, 7.0);
    let errors =
        r#"rollgate_evaluation_errors_total{code="FLAG_NOT_FOUND",environment="production"}"#;
    assert_eq!(metric(&server, errors).await, 1.0);
}

#[tokio::test]
async fn malformed_reports_are_refused_and_unknown_flags_are_not_counted() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("a", "on", "off")).await;
    let key = server.sdk_key("production").await;
    let post = |body: serde_json::Value| {
        server.call(
            server
                .request(Method::POST, "/sdk/v1/exposures", Some(&key))
                .json(&body),
        )
    };
    let bad = post(json!({ "exposures": [ { "flag": "a", "variant": "on", "reason": "STATIC", "count": -1 } ] })).await;
    assert!(bad.status.is_client_error(), "{:?}", bad.body);
    let bad = post(json!({ "exposures": [ { "flag": "a", "variant": "on", "reason": "SOMETIMES", "count": 1 } ] })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["field"], "exposures[0].reason");
    let mixed = post(json!({ "exposures": [
        { "flag": "a", "variant": "on", "reason": "STATIC", "count": 2 },
        { "flag": "nope", "variant": "on", "reason": "STATIC", "count": 5 }
    ] }))
    .await;
    assert_eq!(mixed.status, StatusCode::OK);
    assert_eq!(mixed.body["counted"], 2);
    assert_eq!(mixed.body["unknown"][0]["flag"], "nope");
    assert!(!server.metrics().await.contains("flag=\"nope\""));
}
