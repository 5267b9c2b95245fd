//! OFREP error answers against the real binary: each error code with its status, the
//! authentication failures, the rate limit and the size limit — and every error body
//! carries `errorCode` and `errorDetails` as `application/json`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::ofrep::{
    assert_failure, assert_served, bulk, evaluate, evaluate_for, post, seed_fixture, send,
};
use rollgate_e2e::{Options, Server, wait};
use serde_json::json;

const SINGLE: &str = "/ofrep/v1/evaluate/flags/static-on";
const BULK: &str = "/ofrep/v1/evaluate/flags";

#[tokio::test]
async fn an_unknown_flag_is_404_flag_not_found() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let raw = evaluate_for(
        &server,
        &sdk,
        "no-such-flag",
        json!({ "targetingKey": "u" }),
    )
    .await;
    let body = assert_failure(&raw, StatusCode::NOT_FOUND, "FLAG_NOT_FOUND");
    assert_eq!(body["key"], "no-such-flag");
    assert!(
        body["errorDetails"]
            .as_str()
            .unwrap()
            .contains("no-such-flag"),
        "{body}"
    );
}

#[tokio::test]
async fn a_path_that_names_no_flag_or_no_endpoint_is_404_in_ofrep_shape() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for (segment, key) in [
        ("a/b", "a/b"),
        ("", ""),
        ("static-on/", "static-on/"),
        ("%FF", "\u{fffd}"),
    ] {
        let raw = evaluate(&server, &sdk, segment, Some("{}")).await;
        let body = assert_failure(&raw, StatusCode::NOT_FOUND, "FLAG_NOT_FOUND");
        assert_eq!(body["key"], key, "{segment:?}");
    }
    // Authentication comes first, as on the real endpoint.
    let raw = post(&server, "/ofrep/v1/evaluate/flags/a/b", None, Some("{}")).await;
    assert_failure(&raw, StatusCode::UNAUTHORIZED, "GENERAL");
    for path in ["/ofrep/v1/evaluate", "/ofrep/v2/evaluate/flags", "/ofrep/"] {
        let raw = post(&server, path, Some(&sdk), Some("{}")).await;
        assert_failure(&raw, StatusCode::NOT_FOUND, "GENERAL");
    }
}

#[tokio::test]
async fn a_body_that_is_not_an_ofrep_request_is_400_parse_error() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for body in [
        "{bad",
        "{\"context\": {\"targetingKey\": \"u\"}",
        "[1, 2",
        "\"context",
        "nul",
    ] {
        let raw = evaluate(&server, &sdk, "static-on", Some(body)).await;
        assert_failure(&raw, StatusCode::BAD_REQUEST, "PARSE_ERROR");
        let raw = bulk(&server, &sdk, body, None).await;
        assert_failure(&raw, StatusCode::BAD_REQUEST, "PARSE_ERROR");
    }
}

#[tokio::test]
async fn a_rollout_without_targeting_key_is_400_targeting_key_missing() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let raw = evaluate_for(&server, &sdk, "new-checkout", json!({ "country": "NL" })).await;
    let body = assert_failure(&raw, StatusCode::BAD_REQUEST, "TARGETING_KEY_MISSING");
    assert!(
        body["errorDetails"]
            .as_str()
            .unwrap()
            .contains("targetingKey"),
        "{body}"
    );
}

#[tokio::test]
async fn a_malformed_context_is_400_invalid_context() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for context in [
        json!({ "targetingKey": 42 }),
        json!({ "targetingKey": true }),
        json!({ "targetingKey": ["u"] }),
        json!({ "targetingKey": { "id": "u" } }),
    ] {
        // Also for flags that would not need the key at all.
        for flag in ["new-checkout", "static-on", "maintenance-mode"] {
            let raw = evaluate_for(&server, &sdk, flag, context.clone()).await;
            let body = assert_failure(&raw, StatusCode::BAD_REQUEST, "INVALID_CONTEXT");
            assert_eq!(body["key"], flag, "{context}");
        }
        let body = json!({ "context": context }).to_string();
        assert_failure(
            &bulk(&server, &sdk, &body, None).await,
            StatusCode::BAD_REQUEST,
            "INVALID_CONTEXT",
        );
    }
    for context in [json!(42), json!("user-1"), json!(["u"]), json!(true)] {
        let body = json!({ "context": context }).to_string();
        let raw = evaluate(&server, &sdk, "static-on", Some(&body)).await;
        assert_failure(&raw, StatusCode::BAD_REQUEST, "INVALID_CONTEXT");
        let raw = bulk(&server, &sdk, &body, None).await;
        assert_failure(&raw, StatusCode::BAD_REQUEST, "INVALID_CONTEXT");
    }
}

#[tokio::test]
async fn a_missing_unknown_or_revoked_key_is_401_and_an_admin_token_is_403() {
    let server = Server::start().await;
    seed_fixture(&server).await;
    let issued = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "sdk", "environment": "production", "name": "to-revoke" })),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let revoked = issued.body["token"].as_str().unwrap().to_owned();
    let id = issued.body["id"].as_str().unwrap();
    assert_served(
        &post(&server, SINGLE, Some(&revoked), Some("{}")).await,
        "static-on",
    );
    let reply = server
        .admin(Method::DELETE, &format!("/api/v1/tokens/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);

    let editor = server.admin_token("editor").await;
    for path in [SINGLE, BULK] {
        let raw = post(&server, path, None, Some("{}")).await;
        assert_failure(&raw, StatusCode::UNAUTHORIZED, "GENERAL");
        for token in [
            "rg_sdk_unknown_0000000000000000000000000000",
            "not-a-token",
            &revoked,
        ] {
            let raw = post(&server, path, Some(token), Some("{}")).await;
            assert_failure(&raw, StatusCode::UNAUTHORIZED, "GENERAL");
        }
        let raw = send(
            server
                .request(Method::POST, path, None)
                .header("authorization", "Basic dXNlcjpwYXNz")
                .body("{}"),
        )
        .await;
        assert_failure(&raw, StatusCode::UNAUTHORIZED, "GENERAL");
        for admin in [rollgate_e2e::ADMIN_TOKEN, editor.as_str()] {
            let raw = post(&server, path, Some(admin), Some("{}")).await;
            let body = assert_failure(&raw, StatusCode::FORBIDDEN, "GENERAL");
            assert!(
                body["errorDetails"].as_str().unwrap().contains("SDK key"),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn past_the_rate_limit_the_answer_is_429_with_retry_after_in_seconds() {
    let server = Server::start_with(Options {
        env: vec![(
            "ROLLGATE_LIMITS__OFREP_REQUESTS_PER_SECOND".into(),
            "2".into(),
        )],
        ..Options::default()
    })
    .await;
    let sdk = seed_fixture(&server).await;
    let other = server.sdk_key("production").await;
    // A burst from one key: the first 2 requests of a second pass, then 429.
    let mut sent = 0;
    let limited = loop {
        sent += 1;
        assert!(sent <= 1000, "no 429 after 1000 requests at 2 per second");
        let raw = evaluate(&server, &sdk, "static-on", Some("{}")).await;
        if raw.status != StatusCode::OK {
            break raw;
        }
    };
    assert!(sent > 2, "the first 2 requests of a second are allowed");
    assert_failure(&limited, StatusCode::TOO_MANY_REQUESTS, "GENERAL");
    let retry_after = limited.header("retry-after").expect("Retry-After");
    let seconds: u64 = retry_after
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After {retry_after:?} is not integer seconds"));
    assert!((1..=60).contains(&seconds), "{seconds}");
    // Bulk requests count against the same kind of budget.
    let mut refused = None;
    for _ in 0..1000 {
        let raw = bulk(&server, &sdk, "{}", None).await;
        if raw.status != StatusCode::OK {
            refused = Some(raw);
            break;
        }
    }
    let refused = refused.expect("bulk requests are limited too");
    assert_failure(&refused, StatusCode::TOO_MANY_REQUESTS, "GENERAL");
    assert!(refused.header("retry-after").is_some());
    // Another key has its own budget.
    assert_served(
        &evaluate(&server, &other, "static-on", Some("{}")).await,
        "static-on",
    );
    // After waiting, the key is served again.
    wait::until(Duration::from_secs(30), "the limit to lift", || async {
        let raw = evaluate(&server, &sdk, "static-on", Some("{}")).await;
        wait::holds(raw.status == StatusCode::OK, || raw.status)
    })
    .await;
}

#[tokio::test]
async fn a_context_over_max_context_bytes_is_413() {
    let server = Server::start_with(Options {
        env: vec![("ROLLGATE_LIMITS__MAX_CONTEXT_BYTES".into(), "1024".into())],
        ..Options::default()
    })
    .await;
    let sdk = seed_fixture(&server).await;
    let fits = json!({ "context": { "targetingKey": "u", "note": "x".repeat(900) } }).to_string();
    assert!(fits.len() <= 1024);
    assert_served(
        &evaluate(&server, &sdk, "static-on", Some(&fits)).await,
        "static-on",
    );
    let large = json!({ "context": { "targetingKey": "u", "note": "x".repeat(1100) } }).to_string();
    // Up to a megabyte past the limit, the server reads the rest so the client gets the
    // answer rather than a reset connection.
    let huge = json!({ "context": { "note": "x".repeat(512 << 10) } }).to_string();
    for body in [&large, &huge] {
        let raw = evaluate(&server, &sdk, "static-on", Some(body)).await;
        let error = assert_failure(&raw, StatusCode::PAYLOAD_TOO_LARGE, "GENERAL");
        assert!(
            error["errorDetails"]
                .as_str()
                .unwrap()
                .contains("max_context_bytes"),
            "{error}"
        );
        let raw = bulk(&server, &sdk, body, None).await;
        assert_failure(&raw, StatusCode::PAYLOAD_TOO_LARGE, "GENERAL");
    }
    // The server is still fine afterwards.
    assert_served(
        &evaluate(&server, &sdk, "static-on", Some(&fits)).await,
        "static-on",
    );
}

#[tokio::test]
async fn a_wrong_method_on_an_ofrep_route_still_answers_in_ofrep_shape() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for path in [SINGLE, BULK] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let raw = send(server.request(method.clone(), path, Some(&sdk))).await;
            let body = assert_failure(&raw, StatusCode::METHOD_NOT_ALLOWED, "GENERAL");
            assert!(
                body["errorDetails"].as_str().unwrap().contains("POST"),
                "{method} {path}: {body}"
            );
            assert_eq!(raw.header("allow"), Some("POST"), "{method} {path}");
        }
    }
}
