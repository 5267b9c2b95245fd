//! A graceful restart keeps everything: flags with their versions and variant order,
//! segments, environments, tokens (old secrets still authenticate, the bootstrap token
//! even without `ROLLGATE_ADMIN_TOKEN`), the whole audit log, and OFREP answers.

use reqwest::{Method, StatusCode};
use rollgate_e2e::examples::{boolean_flag, checkout_flag, listed_segment};
use rollgate_e2e::{ADMIN_TOKEN, Options, Server};
use serde_json::{Value, json};

/// What a client can observe of a server's state, with `sdk_key` and `editor`.
async fn observed(server: &Server, sdk_key: &str, editor: &str) -> Value {
    let mut evaluations = Vec::new();
    for context in [
        json!({ "targetingKey": "user-1" }),
        json!({ "targetingKey": "user-2", "country": "NL" }),
        json!({ "targetingKey": "user-3", "ring": "alpha" }),
        json!({ "targetingKey": "vip-1" }),
    ] {
        for flag in ["new-checkout", "theme", "vip-offer"] {
            let reply = server.evaluate(sdk_key, flag, context.clone()).await;
            assert_eq!(reply.status, StatusCode::OK, "{flag}: {}", reply.body);
            evaluations.push(reply.body);
        }
        let bulk = server
            .call(
                server
                    .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(sdk_key))
                    .json(&json!({ "context": context })),
            )
            .await;
        assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
        // The event-stream URL names the port, which a restart changes; the flags must not.
        evaluations.push(bulk.body["flags"].clone());
    }
    let as_editor = server
        .call(server.request(Method::GET, "/api/v1/flags", Some(editor)))
        .await;
    as_editor.expect(StatusCode::OK);
    json!({
        "stored": server.stored_state().await,
        "audit": server.audit("limit=500").await,
        "theme_order": server.variant_order("theme").await,
        "evaluations": evaluations,
        "as_editor": as_editor.body,
    })
}

#[tokio::test]
async fn a_restart_keeps_flags_versions_tokens_audit_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), Options::default()).await;
    server
        .create("/api/v1/flags/new-checkout", checkout_flag())
        .await;
    server
        .create(
            "/api/v1/flags/theme",
            json!({ "variants": { "zebra": "z", "apple": "a", "mango": "m" },
                "environments": { "production": { "enabled": true, "off_variant": "apple",
                    "default": { "rollout": [ { "variant": "zebra", "weight": 3000 },
                        { "variant": "apple", "weight": 3000 }, { "variant": "mango", "weight": 4000 } ] } } } }),
        )
        .await;
    server
        .create("/api/v1/segments/vips", listed_segment(&["vip-1"]))
        .await;
    server
        .create(
            "/api/v1/flags/vip-offer",
            rollgate_e2e::examples::flag_using_segment("vips"),
        )
        .await;
    server
        .admin_if_match(
            Method::PUT,
            "/api/v1/flags/vip-offer",
            "\"1\"",
            Some(rollgate_e2e::examples::flag_using_segment("vips")),
        )
        .await
        .expect(StatusCode::OK);
    server
        .create(
            "/api/v1/environments/staging",
            json!({ "description": "pre" }),
        )
        .await;
    let sdk_key = server.sdk_key("production").await;
    let editor = server.admin_token("editor").await;
    let revoked = server.admin_token("viewer").await;
    let revoked_id = server
        .read("/api/v1/tokens")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "e2e-viewer")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .admin(
            Method::DELETE,
            &format!("/api/v1/tokens/{revoked_id}"),
            None,
        )
        .await
        .expect(StatusCode::NO_CONTENT);

    let before = observed(&server, &sdk_key, &editor).await;
    assert_eq!(before["stored"]["flags"].as_array().unwrap().len(), 3);
    let status = server.terminate().await;
    assert!(status.success(), "graceful exit: {status}");

    // Once with the bootstrap variable, once without: the stored token is what counts.
    for options in [
        Options::default(),
        Options {
            no_admin_token: true,
            ..Options::default()
        },
    ] {
        let server = Server::start_in(dir.path(), options).await;
        assert_eq!(observed(&server, &sdk_key, &editor).await, before);
        server
            .call(server.request(Method::GET, "/api/v1/flags", Some(&revoked)))
            .await
            .expect(StatusCode::UNAUTHORIZED);
        assert!(server.terminate().await.success());
    }

    // Writing goes on from the stored versions and revisions.
    let server = Server::start_in(dir.path(), Options::default()).await;
    let head = server.audit_head().await;
    let replaced = server
        .admin_if_match(
            Method::PUT,
            "/api/v1/flags/vip-offer",
            "\"2\"",
            Some(boolean_flag("after restart")),
        )
        .await;
    replaced.expect(StatusCode::OK);
    assert_eq!(replaced.etag(), Some("\"3\""));
    assert!(server.audit_head().await > head);
    let reply = server
        .call(server.request(Method::GET, "/api/v1/tokens", Some(ADMIN_TOKEN)))
        .await;
    reply.expect(StatusCode::OK);
    assert!(server.terminate().await.success());
}
