//! One environment's configuration of a flag at a time:
//! `/api/v1/flags/{key}/environments/{environment}` GET, PUT and DELETE, versioned by
//! the flag's version.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::examples::checkout_flag;
use serde_json::json;

const FLAG: &str = "/api/v1/flags/new-checkout";
const PRODUCTION: &str = "/api/v1/flags/new-checkout/environments/production";
const DEVELOPMENT: &str = "/api/v1/flags/new-checkout/environments/development";

#[tokio::test]
async fn get_returns_one_configuration_with_the_flags_version() {
    let server = Server::start().await;
    server.create(FLAG, checkout_flag()).await;
    let reply = server.admin(Method::GET, PRODUCTION, None).await;
    reply.expect(StatusCode::OK);
    assert_eq!(reply.etag(), Some("\"1\""));
    assert_eq!(
        reply.body,
        checkout_flag()["environments"]["production"],
        "the configuration as written"
    );
    server
        .admin(Method::GET, DEVELOPMENT, None)
        .await
        .expect_problem(StatusCode::NOT_FOUND, None, "development");
    server
        .admin(
            Method::GET,
            "/api/v1/flags/missing/environments/production",
            None,
        )
        .await
        .expect_problem(StatusCode::NOT_FOUND, None, "missing");
}

#[tokio::test]
async fn put_replaces_one_configuration_and_leaves_the_others() {
    let server = Server::start().await;
    server.create(FLAG, checkout_flag()).await;
    let config = json!({ "enabled": true, "off_variant": "off", "default": { "variant": "on" } });

    server
        .admin(Method::PUT, DEVELOPMENT, Some(config.clone()))
        .await
        .expect_problem(
            StatusCode::PRECONDITION_REQUIRED,
            Some("If-Match"),
            "If-Match",
        );
    let stale = server
        .admin_if_match(Method::PUT, DEVELOPMENT, "\"9\"", Some(config.clone()))
        .await;
    stale.expect(StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["current_version"], 1);

    let written = server
        .admin_if_match(Method::PUT, DEVELOPMENT, "\"1\"", Some(config.clone()))
        .await;
    written.expect(StatusCode::OK);
    assert_eq!(written.etag(), Some("\"2\""));
    assert_eq!(written.body["version"], 2);
    // Stored as written, with its defaults spelled out.
    let mut stored = config.clone();
    stored["rules"] = json!([]);
    assert_eq!(written.body["environments"]["development"], stored);
    assert_eq!(
        written.body["environments"]["production"],
        checkout_flag()["environments"]["production"]
    );
    assert_eq!(server.read(FLAG).await, written.body);
    assert_eq!(server.read(DEVELOPMENT).await, stored);

    // An environment that does not exist cannot be configured.
    let unknown = server
        .admin_if_match(
            Method::PUT,
            "/api/v1/flags/new-checkout/environments/staging",
            "\"2\"",
            Some(config.clone()),
        )
        .await;
    unknown.expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("environments.staging"),
        "unknown environment",
    );
    // Nor can a flag that does not exist.
    server
        .admin_if_match(
            Method::PUT,
            "/api/v1/flags/missing/environments/production",
            "\"1\"",
            Some(config),
        )
        .await
        .expect(StatusCode::NOT_FOUND);
    assert_eq!(server.read(FLAG).await["version"], 2);
}

#[tokio::test]
async fn delete_removes_one_configuration_with_if_match() {
    let server = Server::start().await;
    server.create(FLAG, checkout_flag()).await;
    server
        .admin(Method::DELETE, PRODUCTION, None)
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    server
        .admin_if_match(Method::DELETE, PRODUCTION, "\"5\"", None)
        .await
        .expect(StatusCode::PRECONDITION_FAILED);
    let removed = server
        .admin_if_match(Method::DELETE, PRODUCTION, "\"1\"", None)
        .await;
    removed.expect(StatusCode::OK);
    assert_eq!(removed.etag(), Some("\"2\""));
    assert_eq!(removed.body["environments"], json!({}));
    server
        .admin(Method::GET, PRODUCTION, None)
        .await
        .expect(StatusCode::NOT_FOUND);
    server
        .admin_if_match(Method::DELETE, PRODUCTION, "\"2\"", None)
        .await
        .expect_problem(StatusCode::NOT_FOUND, None, "production");
    assert_eq!(server.read(FLAG).await["version"], 2);
}
