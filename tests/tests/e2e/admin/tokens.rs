//! Tokens over the admin API: issued once with their secret, listed without it (nor its
//! hash), revoked at once, the last admin token kept, and requests that mix up SDK keys
//! and admin tokens refused.

use reqwest::{Method, StatusCode};
use rollgate_e2e::examples::{admin_token_request, sdk_key_request};
use rollgate_e2e::{ADMIN_TOKEN, Server};
use serde_json::{Value, json};

/// True when `text` holds a run of 64 hex digits (a SHA-256 digest).
fn has_digest(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= 64 {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn issued_tokens_show_their_secret_once_and_never_again() {
    let server = Server::start().await;
    let sdk = server
        .admin(Method::POST, "/api/v1/tokens", Some(sdk_key_request()))
        .await;
    sdk.expect(StatusCode::CREATED);
    assert_eq!(sdk.header("cache-control"), Some("no-store"));
    let sdk_secret = sdk.body["token"].as_str().unwrap().to_owned();
    assert!(sdk_secret.starts_with("rg_sdk_"), "{sdk_secret}");
    assert_eq!(sdk.body["kind"], "sdk");
    assert_eq!(sdk.body["environment"], "production");
    assert_eq!(sdk.body["name"], "checkout-service");
    assert!(sdk.body.get("role").is_none(), "{}", sdk.body);

    let admin = server
        .admin(Method::POST, "/api/v1/tokens", Some(admin_token_request()))
        .await;
    admin.expect(StatusCode::CREATED);
    let admin_secret = admin.body["token"].as_str().unwrap().to_owned();
    assert!(admin_secret.starts_with("rg_adm_"), "{admin_secret}");
    assert_eq!(admin.body["role"], "release_manager");
    assert!(admin.body.get("environment").is_none(), "{}", admin.body);
    assert_ne!(sdk.body["id"], admin.body["id"]);

    let list = server
        .call(server.request(Method::GET, "/api/v1/tokens", Some(ADMIN_TOKEN)))
        .await;
    list.expect(StatusCode::OK);
    let text = list.body.to_string();
    let ids: Vec<&Value> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert!(ids.contains(&&sdk.body["id"]) && ids.contains(&&admin.body["id"]));
    assert!(ids.contains(&&json!("bootstrap")));
    for token in list.body.as_array().unwrap() {
        assert!(token.get("token").is_none(), "{token}");
        assert!(token.get("secret_sha256").is_none(), "{token}");
    }
    let one = server
        .read(&format!(
            "/api/v1/tokens/{}",
            sdk.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one["name"], "checkout-service");
    // The seeding of the bootstrap token and the two tokens issued.
    let audit = server.audit("kind=token").await;
    assert_eq!(audit.len(), 3, "{audit:?}");
    for shown in [
        text,
        one.to_string(),
        serde_json::to_string(&audit).unwrap(),
    ] {
        for secret in [&sdk_secret, &admin_secret, &ADMIN_TOKEN.to_owned()] {
            let secret_part = secret.rsplit('_').next().unwrap();
            assert!(!shown.contains(secret_part), "a secret is shown: {shown}");
        }
        assert!(!has_digest(&shown), "a digest is shown: {shown}");
    }

    // Both work: the SDK key evaluates, the admin token reads.
    server
        .call(server.request(Method::GET, "/api/v1/flags", Some(&admin_secret)))
        .await
        .expect(StatusCode::OK);
    let evaluated = server
        .evaluate(&sdk_secret, "missing-flag", json!({ "targetingKey": "u" }))
        .await;
    assert_eq!(
        evaluated.status,
        StatusCode::NOT_FOUND,
        "{}",
        evaluated.body
    );
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let server = Server::start().await;
    let sdk = server
        .admin(Method::POST, "/api/v1/tokens", Some(sdk_key_request()))
        .await;
    let admin = server
        .admin(Method::POST, "/api/v1/tokens", Some(admin_token_request()))
        .await;
    for (issued, check) in [(&sdk, "ofrep"), (&admin, "admin")] {
        let secret = issued.body["token"].as_str().unwrap();
        let id = issued.body["id"].as_str().unwrap();
        server
            .admin(Method::DELETE, &format!("/api/v1/tokens/{id}"), None)
            .await
            .expect(StatusCode::NO_CONTENT);
        let reply = if check == "ofrep" {
            server
                .evaluate(secret, "any-flag", json!({ "targetingKey": "u" }))
                .await
        } else {
            server
                .call(server.request(Method::GET, "/api/v1/flags", Some(secret)))
                .await
        };
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        server
            .admin(Method::GET, &format!("/api/v1/tokens/{id}"), None)
            .await
            .expect(StatusCode::NOT_FOUND);
        server
            .admin(Method::DELETE, &format!("/api/v1/tokens/{id}"), None)
            .await
            .expect(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_last_admin_token_cannot_be_revoked() {
    let server = Server::start().await;
    // A lower role does not count as an admin.
    server.admin_token("release_manager").await;
    server
        .admin(Method::DELETE, "/api/v1/tokens/bootstrap", None)
        .await
        .expect_problem(StatusCode::CONFLICT, Some("id"), "last");

    let second = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "admin", "role": "admin", "name": "second-admin" })),
        )
        .await;
    second.expect(StatusCode::CREATED);
    let secret = second.body["token"].as_str().unwrap().to_owned();
    let id = second.body["id"].as_str().unwrap().to_owned();
    server
        .admin(Method::DELETE, "/api/v1/tokens/bootstrap", None)
        .await
        .expect(StatusCode::NO_CONTENT);
    server
        .call(server.request(Method::GET, "/api/v1/flags", Some(ADMIN_TOKEN)))
        .await
        .expect(StatusCode::UNAUTHORIZED);
    // Now the second one is the last.
    let own = server
        .call(server.request(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&secret),
        ))
        .await;
    own.expect_problem(StatusCode::CONFLICT, Some("id"), "last");
    server
        .call(server.request(Method::GET, "/api/v1/tokens", Some(&secret)))
        .await
        .expect(StatusCode::OK);
}

#[tokio::test]
async fn token_requests_that_mix_up_kinds_are_refused() {
    let server = Server::start().await;
    let before = server.stored_state().await;
    let cases = [
        (
            json!({ "kind": "sdk", "environment": "production", "role": "viewer", "name": "x" }),
            "role",
        ),
        (
            json!({ "kind": "admin", "role": "viewer", "environment": "production", "name": "x" }),
            "environment",
        ),
        (json!({ "kind": "sdk", "name": "x" }), "environment"),
        (
            json!({ "kind": "sdk", "environment": "staging", "name": "x" }),
            "environment",
        ),
        (json!({ "kind": "admin", "name": "x" }), "role"),
        (
            json!({ "kind": "admin", "role": "owner", "name": "x" }),
            "role",
        ),
        (
            json!({ "kind": "robot", "role": "viewer", "name": "x" }),
            "kind",
        ),
        (
            json!({ "kind": "admin", "role": "viewer", "name": "" }),
            "name",
        ),
        (json!({ "kind": "admin", "role": "viewer" }), "name"),
    ];
    for (body, field) in cases {
        let reply = server
            .admin(Method::POST, "/api/v1/tokens", Some(body.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {}",
            reply.body
        );
        assert_eq!(
            reply.body["field"].as_str().unwrap_or_default(),
            field,
            "{body} → {}",
            reply.body
        );
    }
    assert_eq!(server.stored_state().await, before, "nothing was written");
}
