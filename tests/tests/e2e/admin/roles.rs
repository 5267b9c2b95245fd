//! Roles, driven by the served OpenAPI document: every documented operation under
//! `/api/v1/` is called without a token, with a wrong one, with an SDK key and with an
//! admin token of each role. Without credentials → 401; an SDK key → 403; a role below
//! the operation's → 403; at or above it → neither 401/403 nor 404/405, which also
//! proves every documented route exists.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::examples::{boolean_flag, listed_segment};
use rollgate_e2e::openapi::{ApiDocument, Operation};
use serde_json::json;

const ROLES: [&str; 4] = ["viewer", "editor", "release_manager", "admin"];

/// The least role an operation needs; a new route must be added here on purpose.
fn required_role(operation: &Operation) -> &'static str {
    let path = operation.path.as_str();
    let area = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap();
    match (area, operation.method.clone()) {
        ("tokens", _) => "admin",
        ("flags" | "segments" | "environments" | "audit", Method::GET) => "viewer",
        ("environments", _) => "admin",
        ("flags" | "segments", _) => "editor",
        ("releases" | "webhooks" | "changelog" | "templates", Method::GET) => "viewer",
        ("releases" | "templates", _) => "release_manager",
        ("webhooks" | "testing", _) => "admin",
        ("catalog" | "export", Method::GET) => "viewer",
        ("catalog", _) => "admin",
        ("import", _) => "editor",
        _ => panic!(
            "no role expectation for {} {path}: add it to this test",
            operation.method
        ),
    }
}

fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap()
}

/// Existing documents to put in the path, so the route (not a 404) answers.
struct Subjects {
    flag: &'static str,
    segment: &'static str,
    environment: &'static str,
    token: String,
    release: String,
    webhook: String,
    template: &'static str,
}

impl Subjects {
    fn concrete(&self, template: &str) -> String {
        let mut segments: Vec<String> = Vec::new();
        for part in template.split('/') {
            let value = if part == "{action}" {
                "pause".to_owned()
            } else if part == "{answer}" {
                "commit".to_owned()
            } else if part == "{index}" {
                "0".to_owned()
            } else if part.starts_with('{') {
                match segments.last().map(String::as_str) {
                    Some("releases") => self.release.clone(),
                    Some("webhooks") => self.webhook.clone(),
                    Some("flags") => self.flag.to_owned(),
                    Some("segments") => self.segment.to_owned(),
                    Some("environments") => self.environment.to_owned(),
                    Some("tokens") => self.token.clone(),
                    Some("templates") => self.template.to_owned(),
                    Some("risks") => "risk-1".to_owned(),
                    Some("incidents") => "incident-1".to_owned(),
                    other => panic!("no value for {part} after {other:?} in {template}"),
                }
            } else {
                part.to_owned()
            };
            segments.push(value);
        }
        let path = segments.join("/");
        // flagd files go in and out of one environment, named in the query.
        if template.starts_with("/api/v1/import/") || template.starts_with("/api/v1/export/") {
            format!("{path}?environment={}", self.environment)
        } else {
            path
        }
    }
}

async fn call(
    server: &Server,
    operation: &Operation,
    path: &str,
    token: Option<&str>,
) -> rollgate_e2e::Reply {
    let mut request = server.request(operation.method.clone(), path, token);
    if matches!(operation.method, Method::PUT | Method::POST | Method::PATCH) {
        request = request.json(&json!({}));
    }
    server.call(request).await
}

#[tokio::test]
async fn every_documented_admin_operation_is_authenticated_and_checks_the_role() {
    // Hundreds of wrong credentials from one address, on purpose: let them all be
    // checked rather than throttled (security::auth tests the throttle).
    let server = Server::start_with(rollgate_e2e::Options {
        env: vec![(
            "ROLLGATE_LIMITS__AUTH_FAILURE_BURST".to_owned(),
            "1000000".to_owned(),
        )],
        ..rollgate_e2e::Options::default()
    })
    .await;
    server
        .create("/api/v1/flags/subject-flag", boolean_flag("subject"))
        .await;
    server
        .create("/api/v1/segments/subject-segment", listed_segment(&["u1"]))
        .await;
    let victim = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "admin", "role": "viewer", "name": "victim" })),
        )
        .await;
    let release = server
        .admin(
            Method::POST,
            "/api/v1/releases",
            Some(json!({
                "name": "subject", "release_version": "1.0.0", "environment": "production",
                "flags": [ { "key": "subject-flag", "variant": "on" } ],
                "stages": [ { "audience": "general", "percent": 100 } ],
                "checklist": [ { "item": "docs" } ]
            })),
        )
        .await;
    let webhook = server
        .admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "http://localhost:9/hook", "events": ["started"] })),
        )
        .await;
    let template = server
        .admin(
            Method::POST,
            "/api/v1/templates",
            Some(json!({ "name": "subject-template" })),
        )
        .await;
    assert_eq!(template.status, StatusCode::CREATED, "{:?}", template.body);
    let subjects = Subjects {
        template: "subject-template",
        flag: "subject-flag",
        segment: "subject-segment",
        environment: "production",
        token: victim.body["id"].as_str().unwrap().to_owned(),
        release: release.body["id"]
            .as_str()
            .expect("subject release")
            .to_owned(),
        webhook: webhook.body["id"]
            .as_str()
            .expect("subject webhook")
            .to_owned(),
    };
    let sdk_key = server.sdk_key("production").await;
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push((role, server.admin_token(role).await));
    }

    let document = ApiDocument::fetch(&server).await;
    let operations: Vec<Operation> = document
        .operations()
        .into_iter()
        .filter(|o| o.path.starts_with("/api/v1/"))
        .collect();
    let public: Vec<&Operation> = operations.iter().filter(|o| !o.secured).collect();
    assert_eq!(
        public,
        [&Operation {
            method: Method::GET,
            path: "/api/v1/openapi.json".into(),
            secured: false
        }],
        "only the document itself is public"
    );
    // Deletes last: the admin's DELETE /api/v1/tokens/{id} revokes the victim.
    let mut secured: Vec<&Operation> = operations.iter().filter(|o| o.secured).collect();
    secured.sort_by_key(|o| o.method == Method::DELETE);
    assert!(
        secured.len() >= 19,
        "{} operations documented",
        secured.len()
    );

    let mut failures = Vec::new();
    for operation in &secured {
        let path = subjects.concrete(&operation.path);
        let name = format!("{} {path}", operation.method);
        for (who, token) in [
            ("no token", None),
            ("an unknown token", Some("rg_adm_nosuchid0000_secret")),
            ("a non-bearer scheme", Some("")),
        ] {
            let reply = if who == "a non-bearer scheme" {
                let request = server
                    .request(operation.method.clone(), &path, None)
                    .header("Authorization", "Basic YWRtaW46YWRtaW4=");
                server.call(request).await
            } else {
                call(&server, operation, &path, token).await
            };
            let challenged = reply
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer"));
            if reply.status != StatusCode::UNAUTHORIZED
                || !challenged
                || reply.header("content-type") != Some("application/problem+json")
            {
                failures.push(format!(
                    "{name} with {who}: {} {}",
                    reply.status, reply.body
                ));
            }
        }
        let reply = call(&server, operation, &path, Some(&sdk_key)).await;
        if reply.status != StatusCode::FORBIDDEN
            || reply.header("content-type") != Some("application/problem+json")
        {
            failures.push(format!(
                "{name} with an SDK key: {} {}",
                reply.status, reply.body
            ));
        }
        let needed = required_role(operation);
        for (role, token) in &tokens {
            let reply = call(&server, operation, &path, Some(token)).await;
            let status = reply.status.as_u16();
            let allowed = rank(role) >= rank(needed);
            let ok = if allowed {
                !matches!(status, 401 | 403 | 404 | 405)
                    && status < 500
                    && (operation.method != Method::GET || status == 200)
            } else {
                status == 403 && reply.body["detail"].as_str().unwrap_or("").contains(needed)
            };
            if !ok {
                failures.push(format!(
                    "{name} as {role} (needs {needed}): {status} {}",
                    reply.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The admin pass revoked the victim through DELETE /api/v1/tokens/{id}.
    server
        .admin(
            Method::GET,
            &format!("/api/v1/tokens/{}", subjects.token),
            None,
        )
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn undocumented_methods_and_paths_answer_405_and_404_problems() {
    let server = Server::start().await;
    let documented = ApiDocument::fetch(&server).await.operations();
    for (method, path, template, allow) in [
        (
            Method::PATCH,
            "/api/v1/flags/x",
            "/api/v1/flags/{key}",
            "GET, PUT, DELETE",
        ),
        (Method::POST, "/api/v1/flags", "/api/v1/flags", "GET"),
        (Method::DELETE, "/api/v1/audit", "/api/v1/audit", "GET"),
        (
            Method::PUT,
            "/api/v1/tokens/x",
            "/api/v1/tokens/{id}",
            "GET, DELETE",
        ),
        (Method::TRACE, "/api/v1/segments", "/api/v1/segments", "GET"),
    ] {
        assert!(
            !documented
                .iter()
                .any(|o| o.method == method && o.path == template),
            "{method} {template} is documented"
        );
        let reply = server.admin(method.clone(), path, None).await;
        reply.expect_problem(StatusCode::METHOD_NOT_ALLOWED, None, method.as_str());
        // RFC 9110 requires `Allow` on a 405 (found by Schemathesis's unsupported_method).
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
    server
        .admin(Method::GET, "/api/v1/nothing-here", None)
        .await
        .expect_problem(StatusCode::NOT_FOUND, None, "/api/v1/nothing-here");
}
