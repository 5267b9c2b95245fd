//! The served OpenAPI document matches the handlers: it is OpenAPI 3.1, the requests the
//! tests send (the examples of docs/product.md §1) are valid against its request schemas,
//! what the server refuses for its shape is invalid against them, and every body the
//! server answers — documents, lists, tokens, audit events, problems — is valid against
//! the response schema of its operation and status (JSON Schema 2020-12).

use reqwest::{Method, StatusCode};
use rollgate_e2e::examples::{
    admin_token_request, beta_segment, checkout_flag, listed_segment, sdk_key_request,
};
use rollgate_e2e::openapi::ApiDocument;
use rollgate_e2e::{ADMIN_TOKEN, Reply, Server};
use serde_json::{Value, json};

/// Calls the admin API and checks both directions against the document.
struct Checked<'a> {
    server: &'a Server,
    api: &'a ApiDocument,
}

impl Checked<'_> {
    /// Sends `method path` (documented as `template`) as the admin, checks the request
    /// body against the documented request schema and the answer against the
    /// documented response schema for its status, and returns the answer.
    async fn go(&self, method: Method, template: &str, path: &str, body: Option<Value>) -> Reply {
        let (server, api) = (self.server, self.api);
        let name = format!("{method} {path}");
        let mut request = server.request(method.clone(), path, Some(ADMIN_TOKEN));
        if let Some(body) = &body {
            let schema = api.request_schema(&method, template);
            api.assert_valid(&format!("the request of {name}"), &schema, body);
            request = request.json(body);
        }
        // The built-in `beta` exists on every store: replace the version it has.
        if method == Method::PUT && path.ends_with("/beta") {
            let current = server.admin(Method::GET, path, None).await;
            request = request.header("If-Match", current.body["version"].to_string());
        }
        let reply = server.call(request).await;
        if !reply.body.is_null() {
            let schema = api.response_schema(&method, template, reply.status.as_u16());
            api.assert_valid(
                &format!("the {} answer of {name}", reply.status),
                &schema,
                &reply.body,
            );
        }
        reply
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_every_admin_schema() {
    let server = Server::start().await;
    let api = ApiDocument::fetch(&server).await;
    let version = api.doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1"), "openapi {version}");
    for name in [
        "Flag",
        "FlagConfig",
        "Segment",
        "Environment",
        "NewToken",
        "TokenView",
        "IssuedTokenView",
        "AuditEvent",
        "Problem",
        "WithVersion_Flag",
        "WithVersion_Segment",
        "WithVersion_Environment",
    ] {
        api.component(name);
    }
}

#[tokio::test]
async fn the_examples_of_the_product_are_valid_requests_and_typos_are_not() {
    let server = Server::start().await;
    let api = ApiDocument::fetch(&server).await;
    let flag = api.request_schema(&Method::PUT, "/api/v1/flags/{key}");
    api.assert_valid("the §6 flag", &flag, &checkout_flag());
    let segment = api.request_schema(&Method::PUT, "/api/v1/segments/{key}");
    api.assert_valid("the §6 segment", &segment, &beta_segment());
    let token = api.request_schema(&Method::POST, "/api/v1/tokens");
    api.assert_valid("the §6 SDK key request", &token, &sdk_key_request());
    api.assert_valid("the §6 admin token request", &token, &admin_token_request());

    // What the handlers refuse for its shape, the schemas refuse too.
    let mut typo = checkout_flag();
    typo["environments"]["production"]["enabeld"] = json!(true);
    assert!(!api.problems(&flag, &typo).is_empty(), "a nested typo");
    let mut wrong_type = checkout_flag();
    wrong_type["tags"] = json!("checkout");
    assert!(
        !api.problems(&flag, &wrong_type).is_empty(),
        "tags as a string"
    );
    let mut no_default = checkout_flag();
    no_default["environments"]["production"]
        .as_object_mut()
        .unwrap()
        .remove("default");
    assert!(!api.problems(&flag, &no_default).is_empty(), "no default");
    let bad_op = json!({ "rules": [ { "conditions": [ { "attribute": "a", "op": "like", "values": ["x"] } ] } ] });
    assert!(!api.problems(&segment, &bad_op).is_empty(), "an unknown op");
    let bad_kind = json!({ "kind": "robot", "name": "x" });
    assert!(
        !api.problems(&token, &bad_kind).is_empty(),
        "an unknown kind"
    );
    for (body, path) in [
        (&typo, "/api/v1/flags/typo"),
        (&wrong_type, "/api/v1/flags/wrong-type"),
        (&no_default, "/api/v1/flags/no-default"),
    ] {
        server
            .admin(Method::PUT, path, Some(body.clone()))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn every_answer_of_the_admin_api_matches_its_documented_schema() {
    let server = Server::start().await;
    let api = ApiDocument::fetch(&server).await;
    let flag = "/api/v1/flags/{key}";
    let flag_env = "/api/v1/flags/{key}/environments/{environment}";
    let segment = "/api/v1/segments/{key}";
    let environment = "/api/v1/environments/{key}";
    let token = "/api/v1/tokens/{id}";
    let checked = Checked {
        server: &server,
        api: &api,
    };

    // Flags and their configurations.
    let created = checked
        .go(
            Method::PUT,
            flag,
            "/api/v1/flags/new-checkout",
            Some(checkout_flag()),
        )
        .await;
    created.expect(StatusCode::CREATED);
    checked
        .go(Method::GET, flag, "/api/v1/flags/new-checkout", None)
        .await
        .expect(StatusCode::OK);
    checked
        .go(Method::GET, "/api/v1/flags", "/api/v1/flags", None)
        .await
        .expect(StatusCode::OK);
    let production = "/api/v1/flags/new-checkout/environments/production";
    checked
        .go(Method::GET, flag_env, production, None)
        .await
        .expect(StatusCode::OK);
    let config = checkout_flag()["environments"]["production"].clone();
    let mut request = server
        .request(Method::PUT, production, Some(ADMIN_TOKEN))
        .header("If-Match", "\"1\"");
    api.assert_valid(
        "a flag configuration",
        &api.request_schema(&Method::PUT, flag_env),
        &config,
    );
    request = request.json(&config);
    let configured = server.call(request).await;
    configured.expect(StatusCode::OK);
    api.assert_valid(
        "a configured flag",
        &api.response_schema(&Method::PUT, flag_env, 200),
        &configured.body,
    );
    let removed = server
        .call(
            server
                .request(Method::DELETE, production, Some(ADMIN_TOKEN))
                .header("If-Match", "\"2\""),
        )
        .await;
    removed.expect(StatusCode::OK);
    api.assert_valid(
        "a flag without the configuration",
        &api.response_schema(&Method::DELETE, flag_env, 200),
        &removed.body,
    );

    // Segments and environments.
    checked
        .go(
            Method::PUT,
            segment,
            "/api/v1/segments/beta",
            Some(beta_segment()),
        )
        .await
        .expect(StatusCode::OK);
    checked
        .go(
            Method::PUT,
            segment,
            "/api/v1/segments/vip",
            Some(listed_segment(&["u1"])),
        )
        .await
        .expect(StatusCode::CREATED);
    checked
        .go(Method::GET, segment, "/api/v1/segments/vip", None)
        .await
        .expect(StatusCode::OK);
    checked
        .go(Method::GET, "/api/v1/segments", "/api/v1/segments", None)
        .await
        .expect(StatusCode::OK);
    checked
        .go(
            Method::PUT,
            environment,
            "/api/v1/environments/staging",
            Some(json!({ "description": "pre-production" })),
        )
        .await
        .expect(StatusCode::CREATED);
    checked
        .go(
            Method::GET,
            environment,
            "/api/v1/environments/staging",
            None,
        )
        .await
        .expect(StatusCode::OK);
    checked
        .go(
            Method::GET,
            "/api/v1/environments",
            "/api/v1/environments",
            None,
        )
        .await
        .expect(StatusCode::OK);

    // Tokens and the audit log.
    let issued = checked
        .go(
            Method::POST,
            "/api/v1/tokens",
            "/api/v1/tokens",
            Some(sdk_key_request()),
        )
        .await;
    issued.expect(StatusCode::CREATED);
    checked
        .go(
            Method::POST,
            "/api/v1/tokens",
            "/api/v1/tokens",
            Some(admin_token_request()),
        )
        .await
        .expect(StatusCode::CREATED);
    let id = issued.body["id"].as_str().unwrap();
    checked
        .go(Method::GET, token, &format!("/api/v1/tokens/{id}"), None)
        .await
        .expect(StatusCode::OK);
    checked
        .go(Method::GET, "/api/v1/tokens", "/api/v1/tokens", None)
        .await
        .expect(StatusCode::OK);
    let audit = checked
        .go(Method::GET, "/api/v1/audit", "/api/v1/audit", None)
        .await;
    audit.expect(StatusCode::OK);
    let kinds: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["flag", "segment", "environment", "token"] {
        assert!(kinds.contains(&kind), "no {kind} event in {kinds:?}");
    }

    // Problems: 401, 404, 409, 412, 422, 428 all match the documented problem.
    checked
        .go(Method::GET, flag, "/api/v1/flags/missing", None)
        .await
        .expect(StatusCode::NOT_FOUND);
    checked
        .go(
            Method::PUT,
            flag,
            "/api/v1/flags/new-checkout",
            Some(checkout_flag()),
        )
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    checked
        .go(
            Method::PUT,
            segment,
            "/api/v1/segments/general",
            Some(listed_segment(&[])),
        )
        .await
        .expect(StatusCode::CONFLICT);
    let invalid = server
        .admin(
            Method::PUT,
            "/api/v1/flags/broken",
            Some(json!({ "variants": { "a": 1, "b": "x" }, "tags": ["t", "t"] })),
        )
        .await;
    invalid.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body["errors"].as_array().unwrap().len() >= 2);
    let stale = server
        .admin_if_match(Method::DELETE, "/api/v1/flags/new-checkout", "\"1\"", None)
        .await;
    stale.expect(StatusCode::PRECONDITION_FAILED);
    let anonymous = server
        .call(server.request(Method::GET, "/api/v1/flags", None))
        .await;
    anonymous.expect(StatusCode::UNAUTHORIZED);
    let problem = api.component("Problem");
    for reply in [&invalid, &stale, &anonymous] {
        api.assert_valid("a problem", &problem, &reply.body);
        api.assert_valid(
            "a problem",
            &api.response_schema(&Method::PUT, flag, reply.status.as_u16()),
            &reply.body,
        );
    }
}
