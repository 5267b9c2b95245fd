//! Release policy per environment: admins set `release_policy.min_approvals` (audited,
//! range-checked); a plan asking fewer approvals is a 422 naming the policy; a policy
//! raised after a plan was written stops its submit, approval and start (409: revise
//! the plan).

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::{Value, json};

const PRODUCTION: &str = "/api/v1/environments/production";

/// Sets production's policy as the bootstrap admin.
async fn require(server: &Server, approvals: u32) {
    let current = server.read(PRODUCTION).await;
    let version = current["version"].to_string();
    server
        .admin_if_match(
            Method::PUT,
            PRODUCTION,
            &version,
            Some(json!({ "release_policy": { "min_approvals": approvals } })),
        )
        .await
        .expect(StatusCode::OK);
}

fn plan(approvals: u32) -> Value {
    json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": "new-checkout", "variant": "on" } ],
        "stages": [ { "audience": "general", "percent": 100 } ],
        "approvals_required": approvals
    })
}

#[tokio::test]
async fn a_plan_may_not_ask_fewer_approvals_than_its_environment_s_policy() {
    let server = Server::start().await;
    server
        .create(
            "/api/v1/flags/new-checkout",
            json!({ "variants": { "on": true, "off": false },
                    "environments": { "production": { "enabled": true, "off_variant": "off", "default": { "variant": "off" } } } }),
        )
        .await;
    let manager = server.admin_token("release_manager").await;

    // Only admins set it, within range; nothing is written otherwise.
    let before = server.stored_state().await;
    let request = server
        .request(Method::PUT, PRODUCTION, Some(&manager))
        .header("If-Match", "1")
        .json(&json!({ "release_policy": { "min_approvals": 1 } }));
    server.call(request).await.expect_problem(
        StatusCode::FORBIDDEN,
        Some("Authorization"),
        "admin",
    );
    for (policy, field) in [
        (
            json!({ "min_approvals": 11 }),
            "release_policy.min_approvals",
        ),
        (
            json!({ "min_approvals": -1 }),
            "release_policy.min_approvals",
        ),
        (
            json!({ "min_approvals": "one" }),
            "release_policy.min_approvals",
        ),
        (json!({ "min_approval": 1 }), "release_policy.min_approval"),
    ] {
        let reply = server
            .admin_if_match(
                Method::PUT,
                PRODUCTION,
                "1",
                Some(json!({ "release_policy": policy })),
            )
            .await;
        assert!(reply.status.is_client_error(), "{policy}: {}", reply.body);
        assert_eq!(reply.body["field"], field, "{policy}: {}", reply.body);
    }
    assert_eq!(server.stored_state().await, before, "nothing written");

    // A plan written while nothing was required; then the policy is raised.
    let written = server
        .call(
            server
                .request(Method::POST, "/api/v1/releases", Some(&manager))
                .json(&plan(0)),
        )
        .await;
    written.expect(StatusCode::CREATED);
    let early = written.body["id"].as_str().unwrap().to_owned();

    require(&server, 1).await;
    let audit = server
        .audit("kind=environment&key=production&limit=1")
        .await;
    assert_eq!(audit[0]["action"], "environment.put");
    assert_eq!(audit[0]["after"]["release_policy"]["min_approvals"], 1);
    assert!(audit[0]["before"].get("release_policy").is_none());

    let refused = server
        .call(
            server
                .request(Method::POST, "/api/v1/releases", Some(&manager))
                .json(&plan(0)),
        )
        .await;
    refused.expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("approvals_required"),
        "requires at least 1 approval(s)",
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("release_policy.min_approvals")
    );
    server
        .call(
            server
                .request(Method::POST, "/api/v1/releases", Some(&manager))
                .json(&plan(1)),
        )
        .await
        .expect(StatusCode::CREATED);

    // The plan written before the policy: its submit is refused until it is revised.
    let submit = server
        .call(server.request(
            Method::POST,
            &format!("/api/v1/releases/{early}/submit"),
            Some(&manager),
        ))
        .await;
    submit.expect_problem(
        StatusCode::CONFLICT,
        Some("approvals_required"),
        "revise the plan",
    );
    let release = server
        .call(server.request(
            Method::GET,
            &format!("/api/v1/releases/{early}"),
            Some(&manager),
        ))
        .await;
    assert_eq!(release.body["state"], "draft");
    let revised = server
        .call(
            server
                .request(
                    Method::PUT,
                    &format!("/api/v1/releases/{early}"),
                    Some(&manager),
                )
                .header("If-Match", release.body["version"].to_string())
                .json(&plan(1)),
        )
        .await;
    revised.expect(StatusCode::OK);
    let submit = server
        .call(server.request(
            Method::POST,
            &format!("/api/v1/releases/{early}/submit"),
            Some(&manager),
        ))
        .await;
    submit.expect(StatusCode::OK);
    assert_eq!(submit.body["state"], "pending_approval");
}

#[tokio::test]
async fn the_demo_asks_one_approval_for_production() {
    let server = Server::start_with(rollgate_e2e::Options {
        args: vec!["--demo".into()],
        ..rollgate_e2e::Options::default()
    })
    .await;
    let production = server.read(PRODUCTION).await;
    assert_eq!(production["release_policy"], json!({ "min_approvals": 1 }));
    let development = server.read("/api/v1/environments/development").await;
    assert!(development.get("release_policy").is_none(), "{development}");
}
