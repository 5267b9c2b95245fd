//! Admin tokens scoped to environments: they act on flag configurations and releases of
//! those environments only (403 naming the scope elsewhere), never on what every
//! environment shares; the scope itself is checked when the token is issued.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::{Value, json};

/// Issues an admin token with `role` scoped to `environments`.
async fn scoped(server: &Server, role: &str, environments: Value) -> String {
    server
        .issue_token(json!({ "kind": "admin", "role": role, "name": format!("dev-{role}"), "environments": environments }))
        .await
}

async fn flag(server: &Server) -> Value {
    server
        .create(
            "/api/v1/flags/search-v2",
            json!({ "variants": { "on": true, "off": false }, "environments": {
                "development": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } },
                "production": { "enabled": true, "off_variant": "off", "default": { "variant": "off" } } } }),
        )
        .await
}

async fn put(
    server: &Server,
    token: &str,
    path: &str,
    version: &Value,
    body: Value,
) -> rollgate_e2e::Reply {
    server
        .call(
            server
                .request(Method::PUT, path, Some(token))
                .header("If-Match", version.to_string())
                .json(&body),
        )
        .await
}

#[tokio::test]
async fn a_development_editor_changes_development_only() {
    let server = Server::start().await;
    let created = flag(&server).await;
    let editor = scoped(&server, "editor", json!(["development"])).await;
    let listed = server.read("/api/v1/tokens").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["environments"] == json!(["development"])),
        "{listed}"
    );

    let on = json!({ "enabled": true, "off_variant": "off", "default": { "variant": "on" } });
    let path = "/api/v1/flags/search-v2/environments/production";
    let before = server.stored_state().await;
    put(&server, &editor, path, &created["version"], on.clone())
        .await
        .expect_problem(
            StatusCode::FORBIDDEN,
            Some("Authorization"),
            "\"production\" is outside its scope",
        );
    let mut whole = created.clone();
    whole["environments"]["production"] = on.clone();
    put(
        &server,
        &editor,
        "/api/v1/flags/search-v2",
        &created["version"],
        whole,
    )
    .await
    .expect_problem(
        StatusCode::FORBIDDEN,
        Some("Authorization"),
        "[\"development\"]",
    );
    let mut described = created.clone();
    described["description"] = json!("shared by every environment");
    put(
        &server,
        &editor,
        "/api/v1/flags/search-v2",
        &created["version"],
        described,
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    let request = server
        .request(Method::DELETE, "/api/v1/flags/search-v2", Some(&editor))
        .header("If-Match", created["version"].to_string());
    server.call(request).await.expect(StatusCode::FORBIDDEN);
    let request = server
        .request(Method::PUT, "/api/v1/segments/nl", Some(&editor))
        .json(&json!({ "include": ["user-1"] }));
    server.call(request).await.expect_problem(
        StatusCode::FORBIDDEN,
        Some("Authorization"),
        "segments concern every environment",
    );
    assert_eq!(server.stored_state().await, before, "nothing written");

    let off = json!({ "enabled": false, "off_variant": "off", "default": { "variant": "on" } });
    let reply = put(
        &server,
        &editor,
        "/api/v1/flags/search-v2/environments/development",
        &created["version"],
        off,
    )
    .await;
    reply.expect(StatusCode::OK);
    let mut whole = reply.body.clone();
    whole["environments"]["development"]["default"] = json!({ "variant": "off" });
    put(
        &server,
        &editor,
        "/api/v1/flags/search-v2",
        &reply.body["version"],
        whole,
    )
    .await
    .expect(StatusCode::OK);
    // A new flag configured in development only is confined to it.
    let request = server
        .request(Method::PUT, "/api/v1/flags/dev-only", Some(&editor))
        .json(&json!({ "variants": { "on": true, "off": false },
                       "environments": { "development": { "off_variant": "off", "default": { "variant": "on" } } } }));
    server.call(request).await.expect(StatusCode::CREATED);
}

#[tokio::test]
async fn scoped_release_managers_run_releases_of_their_environments_only() {
    let server = Server::start().await;
    flag(&server).await;
    let manager = scoped(&server, "release_manager", json!(["development"])).await;
    let plan = |environment: &str| {
        json!({ "name": "Search v2", "release_version": "2.0.0", "environment": environment,
                "flags": [ { "key": "search-v2", "variant": "on" } ],
                "stages": [ { "audience": "general", "percent": 100 } ], "approvals_required": 0 })
    };
    let create = |plan: Value| {
        server
            .request(Method::POST, "/api/v1/releases", Some(&manager))
            .json(&plan)
    };
    server
        .call(create(plan("production")))
        .await
        .expect_problem(
            StatusCode::FORBIDDEN,
            Some("Authorization"),
            "\"production\" is outside its scope",
        );
    let created = server.call(create(plan("development"))).await;
    created.expect(StatusCode::CREATED);
    let mine = created.body["id"].as_str().unwrap().to_owned();
    let submit = server
        .call(server.request(
            Method::POST,
            &format!("/api/v1/releases/{mine}/submit"),
            Some(&manager),
        ))
        .await;
    submit.expect(StatusCode::OK);

    // A production release made by an unscoped manager is out of reach.
    let theirs = server
        .admin(Method::POST, "/api/v1/releases", Some(plan("production")))
        .await;
    theirs.expect(StatusCode::CREATED);
    let theirs = theirs.body["id"].as_str().unwrap().to_owned();
    for action in ["submit", "cancel"] {
        server
            .call(server.request(
                Method::POST,
                &format!("/api/v1/releases/{theirs}/{action}"),
                Some(&manager),
            ))
            .await
            .expect(StatusCode::FORBIDDEN);
    }
    let read = server
        .call(server.request(
            Method::GET,
            &format!("/api/v1/releases/{theirs}"),
            Some(&manager),
        ))
        .await;
    read.expect(StatusCode::OK);
    assert_eq!(read.body["state"], "draft", "reading is not acting");
}

#[tokio::test]
async fn a_scope_names_existing_environments_and_only_unscoped_admins_issue_tokens() {
    let server = Server::start().await;
    let before = server.stored_state().await;
    for (body, field) in [
        (
            json!({ "kind": "admin", "role": "editor", "name": "x", "environments": ["staging"] }),
            "environments[0]",
        ),
        (
            json!({ "kind": "admin", "role": "editor", "name": "x", "environments": [] }),
            "environments",
        ),
        (
            json!({ "kind": "admin", "role": "editor", "name": "x", "environments": ["development", "development"] }),
            "environments[1]",
        ),
        (
            json!({ "kind": "sdk", "environment": "development", "name": "x", "environments": ["development"] }),
            "environments",
        ),
        (
            json!({ "kind": "admin", "role": "editor", "name": "x", "environments": "development" }),
            "environments",
        ),
    ] {
        let reply = server
            .admin(Method::POST, "/api/v1/tokens", Some(body.clone()))
            .await;
        reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.body["field"], field, "{body}: {}", reply.body);
    }
    assert_eq!(server.stored_state().await, before, "nothing written");
    let admin = scoped(&server, "admin", json!(["development"])).await;
    let request = server
        .request(Method::POST, "/api/v1/tokens", Some(&admin))
        .json(&json!({ "kind": "admin", "role": "admin", "name": "wider" }));
    server.call(request).await.expect_problem(
        StatusCode::FORBIDDEN,
        Some("Authorization"),
        "tokens concern every environment",
    );
}
