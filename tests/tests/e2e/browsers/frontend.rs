//! Frontend keys: public by nature (any visitor of a page can read one), so they
//! evaluate through OFREP — single, bulk and its event stream — and nothing else. The
//! SDK's sync, which would hand out every rule and every segment member, answers `403`,
//! as does the admin API; a key that lists origins refuses pages elsewhere.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{ADMIN_TOKEN, Reply, Server};
use serde_json::{Value, json};

use crate::sdk::support::{RawStream, bool_flag, put_flag};

const SHOP: &str = "http://shop.example:3000";

async fn frontend_key(server: &Server, extra: Value) -> Reply {
    let mut body = json!({ "kind": "frontend", "environment": "production", "name": "web" });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    server
        .admin(Method::POST, "/api/v1/tokens", Some(body))
        .await
}

async fn bulk(server: &Server, key: &str, origin: Option<&str>) -> Reply {
    let mut request = server
        .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(key))
        .json(&json!({ "context": { "targetingKey": "user-1" } }));
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    server.call(request).await
}

#[tokio::test]
async fn a_frontend_key_evaluates_through_ofrep_and_its_event_stream_only() {
    let server = Server::start().await;
    put_flag(&server, bool_flag("web", "on", "off")).await;
    let issued = frontend_key(&server, json!({})).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(issued.body["kind"], "frontend");
    assert_eq!(issued.body["environment"], "production");
    let key = issued.body["token"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rg_fe_"), "{key}");

    let single = server
        .evaluate(&key, "web", json!({ "targetingKey": "u1" }))
        .await;
    assert_eq!(single.status, StatusCode::OK, "{:?}", single.body);
    assert_eq!(single.body["value"], true);
    let all = bulk(&server, &key, None).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    let url = all.body["eventStreams"][0]["url"].as_str().unwrap();
    assert!(!url.contains(&key), "the key itself is not in the URL");

    // The event stream, by the credential in its URL and by the key itself.
    let path = url.trim_start_matches(&server.url).to_owned();
    let mut by_credential = RawStream::open(&server, &path, None, &[]).await;
    let mut by_key = RawStream::open(&server, "/ofrep/v1/event-stream", Some(&key), &[]).await;
    let revision = put_flag(&server, bool_flag("web", "off", "off")).await;
    for stream in [&mut by_credential, &mut by_key] {
        let event = stream.next().await.unwrap();
        assert_eq!(event.id, Some(revision.to_string()));
        let data: Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["type"], "refetchEvaluation");
    }

    // Never the ruleset, the SDK stream or exposure reports: rules and segment
    // members stay private.
    for (method, path) in [
        (Method::GET, "/sdk/v1/ruleset"),
        (Method::GET, "/sdk/v1/stream"),
        (Method::POST, "/sdk/v1/exposures"),
    ] {
        let request = server
            .request(method, path, Some(&key))
            .json(&json!({ "flags": [] }));
        let reply = server.call(request).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {:?}",
            reply.body
        );
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("frontend keys evaluate through OFREP"),
            "{path}: {detail}"
        );
    }
    // Nor the admin API.
    for path in ["/api/v1/flags", "/api/v1/segments", "/api/v1/catalog"] {
        let reply = server
            .call(server.request(Method::GET, path, Some(&key)))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    // The SDK key keeps its ruleset.
    let sdk = server.sdk_key("production").await;
    let reply = server
        .call(server.request(Method::GET, "/sdk/v1/ruleset", Some(&sdk)))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_frontend_key_with_origins_refuses_pages_elsewhere() {
    let server = Server::start().await;
    let issued = frontend_key(
        &server,
        json!({ "allowed_origins": ["http://Shop.example:3000", "https://www.example"] }),
    )
    .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(
        issued.body["allowed_origins"],
        json!([SHOP, "https://www.example"]),
        "stored as browsers write them"
    );
    let key = issued.body["token"].as_str().unwrap().to_owned();
    let id = issued.body["id"].as_str().unwrap();
    let listed = server
        .admin(Method::GET, &format!("/api/v1/tokens/{id}"), None)
        .await;
    assert_eq!(
        listed.body["allowed_origins"],
        issued.body["allowed_origins"]
    );

    assert_eq!(bulk(&server, &key, Some(SHOP)).await.status, StatusCode::OK);
    assert_eq!(bulk(&server, &key, None).await.status, StatusCode::OK);
    let refused = bulk(&server, &key, Some("https://evil.example")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["errorCode"], "GENERAL");
    assert!(
        refused.body["errorDetails"]
            .as_str()
            .unwrap()
            .contains("https://evil.example"),
        "{:?}",
        refused.body
    );
    let url = bulk(&server, &key, Some(SHOP)).await.body["eventStreams"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = server
        .call(
            server
                .request(Method::GET, url.trim_start_matches(&server.url), None)
                .header("Origin", "https://evil.example"),
        )
        .await;
    assert_eq!(stream.status, StatusCode::FORBIDDEN, "{:?}", stream.body);
}

#[tokio::test]
async fn bad_frontend_keys_are_refused_with_the_field_named() {
    let server = Server::start().await;
    for (extra, field) in [
        (
            json!({ "allowed_origins": ["shop.example"] }),
            "allowed_origins[0]",
        ),
        (
            json!({ "allowed_origins": ["https://a.example/path"] }),
            "allowed_origins[0]",
        ),
        (json!({ "allowed_origins": ["*"] }), "allowed_origins[0]"),
        (
            json!({ "allowed_origins": [SHOP, SHOP] }),
            "allowed_origins[1]",
        ),
        (json!({ "allowed_origins": [] }), "allowed_origins"),
        (json!({ "role": "viewer" }), "role"),
        (json!({ "environment": "nowhere" }), "environment"),
        (json!({ "environments": ["production"] }), "environments"),
    ] {
        let reply = frontend_key(&server, extra.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{extra}: {:?}",
            reply.body
        );
        let fields = reply.error_fields();
        assert!(
            fields.contains(&field),
            "{extra}: {fields:?} {:?}",
            reply.body
        );
    }
    let reply = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "sdk", "environment": "production", "name": "s", "allowed_origins": [SHOP] })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server
        .call(
            server
                .request(Method::POST, "/api/v1/tokens", Some(ADMIN_TOKEN))
                .json(&json!({ "kind": "frontend", "name": "no-env" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}
