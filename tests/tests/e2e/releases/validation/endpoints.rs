//! The webhook and test-clock endpoints name the bad field, and every release,
//! webhook and clock endpoint is in the OpenAPI document.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::{Value, json};

use super::super::support::{Desk, admin};
use super::expect;

#[tokio::test]
async fn webhook_and_clock_endpoints_name_the_bad_field() {
    let desk = Desk::open().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no scheme",
            json!({ "url": "example.com/hook", "events": ["started"] }),
            "url",
        ),
        (
            "ftp",
            json!({ "url": "ftp://example.com/hook", "events": ["started"] }),
            "url",
        ),
        (
            "no events",
            json!({ "url": "http://localhost:1/hook", "events": [] }),
            "events",
        ),
        (
            "unknown event",
            json!({ "url": "http://localhost:1/hook", "events": ["started", "exploded"] }),
            "events[1]",
        ),
        (
            "twice",
            json!({ "url": "http://localhost:1/hook", "events": ["started", "started"] }),
            "events[1]",
        ),
        (
            "short secret",
            json!({ "url": "http://localhost:1/hook", "events": ["started"], "secret": "abc" }),
            "secret",
        ),
        (
            "unknown field",
            json!({ "url": "http://localhost:1/hook", "events": ["started"], "retries": 3 }),
            "retries",
        ),
    ];
    for (case, body, field) in cases {
        let reply = desk
            .call(admin(), Method::POST, "/api/v1/webhooks", Some(body))
            .await;
        expect(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(field), case);
    }
    let manager = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "http://localhost:1/hook", "events": ["started"] })),
        )
        .await;
    expect(
        &manager,
        StatusCode::FORBIDDEN,
        None,
        "only admins subscribe",
    );
    let created = desk
        .call(
            admin(),
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "http://localhost:1/hook", "events": ["started"] })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = format!("/api/v1/webhooks/{}", created.body["id"].as_str().unwrap());
    let body = json!({ "url": "http://localhost:2/hook", "events": ["completed"] });
    let no_version = desk
        .call(admin(), Method::PUT, &path, Some(body.clone()))
        .await;
    expect(
        &no_version,
        StatusCode::PRECONDITION_REQUIRED,
        Some("If-Match"),
        "webhook without If-Match",
    );
    let stale = desk
        .server
        .call(
            desk.server
                .request(Method::PUT, &path, Some(admin()))
                .header("If-Match", "\"9\"")
                .json(&body),
        )
        .await;
    expect(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        Some("If-Match"),
        "stale webhook",
    );

    for (case, body, field) in [
        (
            "both",
            json!({ "advance": "1s", "set": "2031-01-01T00:00:00Z" }),
            Some("advance"),
        ),
        ("neither", json!({}), Some("advance")),
        (
            "bad duration",
            json!({ "advance": "soon" }),
            Some("advance"),
        ),
        ("bad time", json!({ "set": "tomorrow" }), Some("set")),
    ] {
        let reply = desk
            .call(admin(), Method::POST, "/api/v1/testing/clock", Some(body))
            .await;
        expect(&reply, StatusCode::UNPROCESSABLE_ENTITY, field, case);
    }
    let manager = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/testing/clock",
            Some(json!({ "advance": "1s" })),
        )
        .await;
    expect(
        &manager,
        StatusCode::FORBIDDEN,
        None,
        "only admins move the clock",
    );

    let real = Server::start().await;
    let off = real
        .admin(
            Method::POST,
            "/api/v1/testing/clock",
            Some(json!({ "advance": "1s" })),
        )
        .await;
    expect(
        &off,
        StatusCode::CONFLICT,
        None,
        "manual clock off by default",
    );
}

#[tokio::test]
async fn every_release_template_and_webhook_endpoint_is_in_the_openapi_document() {
    let server = Server::start().await;
    let document = server
        .admin(Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(
        document.body["openapi"].as_str().unwrap().get(..3),
        Some("3.1")
    );
    let expected = [
        ("/api/v1/releases", vec!["get", "post"]),
        ("/api/v1/releases/{id}", vec!["get", "put"]),
        ("/api/v1/releases/{id}/{action}", vec!["post"]),
        ("/api/v1/releases/{id}/percent", vec!["post"]),
        ("/api/v1/releases/{id}/checklist/{index}", vec!["post"]),
        ("/api/v1/releases/{id}/incidents", vec!["post"]),
        ("/api/v1/releases/{id}/incidents/{incident}", vec!["post"]),
        ("/api/v1/releases/{id}/risks", vec!["post"]),
        ("/api/v1/releases/{id}/risks/{risk}", vec!["post"]),
        ("/api/v1/releases/{id}/tasks", vec!["get"]),
        ("/api/v1/releases/{id}/tasks/{index}", vec!["post"]),
        (
            "/api/v1/releases/{id}/resources/{index}/{answer}",
            vec!["post"],
        ),
        ("/api/v1/releases/{id}/report/addenda", vec!["get"]),
        ("/api/v1/templates", vec!["get", "post"]),
        ("/api/v1/templates/{name}", vec!["get", "put", "delete"]),
        ("/api/v1/webhooks", vec!["get", "post"]),
        ("/api/v1/webhooks/{id}", vec!["get", "put", "delete"]),
        ("/api/v1/webhooks/{id}/deliveries", vec!["get"]),
        ("/api/v1/testing/clock", vec!["get", "post"]),
    ];
    for (path, methods) in expected {
        for method in methods {
            let operation = &document.body["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            assert_eq!(
                operation["security"][0]["admin_token"],
                json!([]),
                "{method} {path} needs an admin token"
            );
        }
    }
    let release = &document.body["components"]["schemas"]["Release"];
    assert!(release.to_string().contains("current_stage"), "{release}");
}
