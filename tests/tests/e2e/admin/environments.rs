//! Environments over the admin API: only admins write them, and one that a flag
//! configures or an SDK key is bound to cannot be deleted.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::json;

const STAGING: &str = "/api/v1/environments/staging";

#[tokio::test]
async fn a_store_starts_with_development_and_production() {
    let server = Server::start().await;
    assert_eq!(
        server.keys("/api/v1/environments").await,
        ["development", "production"]
    );
}

#[tokio::test]
async fn only_admins_create_replace_and_delete_environments() {
    let server = Server::start().await;
    let release_manager = server.admin_token("release_manager").await;
    let body = json!({ "description": "pre-production" });
    for method in [Method::PUT, Method::DELETE] {
        let request = server
            .request(method, STAGING, Some(&release_manager))
            .json(&body);
        server.call(request).await.expect_problem(
            StatusCode::FORBIDDEN,
            Some("Authorization"),
            "admin",
        );
    }
    let created = server.admin(Method::PUT, STAGING, Some(body)).await;
    created.expect(StatusCode::CREATED);
    assert_eq!(created.etag(), Some("\"1\""));
    assert_eq!(created.body["key"], "staging");
    server
        .admin(
            Method::PUT,
            STAGING,
            Some(json!({ "description": "changed" })),
        )
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    let replaced = server
        .admin_if_match(
            Method::PUT,
            STAGING,
            "\"1\"",
            Some(json!({ "description": "changed" })),
        )
        .await;
    replaced.expect(StatusCode::OK);
    assert_eq!(replaced.body["description"], "changed");
    server
        .admin(Method::DELETE, STAGING, None)
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    server
        .admin_if_match(Method::DELETE, STAGING, "\"2\"", None)
        .await
        .expect(StatusCode::NO_CONTENT);
    server
        .admin(Method::GET, STAGING, None)
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_environment_in_use_cannot_be_deleted() {
    let server = Server::start().await;
    server
        .create(STAGING, json!({ "description": "pre-production" }))
        .await;
    server
        .create(
            "/api/v1/flags/staged",
            json!({ "variants": { "on": true, "off": false }, "environments": {
                "staging": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } } } }),
        )
        .await;
    let key_reply = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "sdk", "environment": "staging", "name": "staging-service" })),
        )
        .await;
    key_reply.expect(StatusCode::CREATED);
    let key_id = key_reply.body["id"].as_str().unwrap().to_owned();

    server
        .admin_if_match(Method::DELETE, STAGING, "\"1\"", None)
        .await
        .expect_problem(StatusCode::CONFLICT, Some("key"), "staged");
    server
        .admin_if_match(
            Method::DELETE,
            "/api/v1/flags/staged/environments/staging",
            "\"1\"",
            None,
        )
        .await
        .expect(StatusCode::OK);
    server
        .admin_if_match(Method::DELETE, STAGING, "\"1\"", None)
        .await
        .expect_problem(StatusCode::CONFLICT, Some("key"), "staging-service");
    server.read(STAGING).await;

    server
        .admin(Method::DELETE, &format!("/api/v1/tokens/{key_id}"), None)
        .await
        .expect(StatusCode::NO_CONTENT);
    server
        .admin_if_match(Method::DELETE, STAGING, "\"1\"", None)
        .await
        .expect(StatusCode::NO_CONTENT);
}
