//! Flags over the admin API, against the real binary: create and replace with versions
//! (`ETag`, `If-Match`, 428 and 412), delete, list, the `key` and `version` fields of a
//! body, and the order of variants.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::admin::variant_names;
use rollgate_e2e::examples::{boolean_flag, checkout_flag};
use serde_json::{Value, json};

const FLAG: &str = "/api/v1/flags/new-checkout";

/// The §6 example without the read-only `version`, as the server should store it.
fn stored_checkout() -> Value {
    let mut flag = checkout_flag();
    flag.as_object_mut().unwrap().remove("version");
    flag
}

fn without_version(body: &Value) -> Value {
    let mut body = body.clone();
    body.as_object_mut().unwrap().remove("version");
    body
}

#[tokio::test]
async fn put_creates_with_version_1_then_replacing_needs_the_current_version() {
    let server = Server::start().await;
    let created = server.admin(Method::PUT, FLAG, Some(checkout_flag())).await;
    created.expect(StatusCode::CREATED);
    assert_eq!(created.etag(), Some("\"1\""));
    assert_eq!(
        created.body["version"], 1,
        "the body's version 3 is ignored"
    );
    assert_eq!(without_version(&created.body), stored_checkout());

    let read = server.admin(Method::GET, FLAG, None).await;
    read.expect(StatusCode::OK);
    assert_eq!(read.etag(), Some("\"1\""));
    assert_eq!(read.body, created.body);

    let mut changed = stored_checkout();
    changed["description"] = json!("Two-page checkout");
    let missing = server.admin(Method::PUT, FLAG, Some(changed.clone())).await;
    missing.expect_problem(
        StatusCode::PRECONDITION_REQUIRED,
        Some("If-Match"),
        "If-Match",
    );
    assert_eq!(missing.body["current_version"], 1);

    let stale = server
        .admin_if_match(Method::PUT, FLAG, "\"7\"", Some(changed.clone()))
        .await;
    stale.expect_problem(StatusCode::PRECONDITION_FAILED, Some("If-Match"), "7");
    assert_eq!(stale.body["current_version"], 1);
    assert_eq!(
        server.read(FLAG).await,
        created.body,
        "refused writes change nothing"
    );

    let replaced = server
        .admin_if_match(Method::PUT, FLAG, "\"1\"", Some(changed.clone()))
        .await;
    replaced.expect(StatusCode::OK);
    assert_eq!(replaced.etag(), Some("\"2\""));
    assert_eq!(replaced.body["description"], "Two-page checkout");

    // The weak form and a bare number name the same version.
    changed["description"] = json!("weak");
    let weak = server
        .admin_if_match(Method::PUT, FLAG, "W/\"2\"", Some(changed.clone()))
        .await;
    weak.expect(StatusCode::OK);
    changed["description"] = json!("bare");
    let bare = server
        .admin_if_match(Method::PUT, FLAG, "3", Some(changed.clone()))
        .await;
    bare.expect(StatusCode::OK);
    assert_eq!(bare.etag(), Some("\"4\""));

    // The replaced version is stale now.
    let again = server
        .admin_if_match(Method::PUT, FLAG, "\"1\"", Some(changed.clone()))
        .await;
    again.expect(StatusCode::PRECONDITION_FAILED);
    assert_eq!(again.body["current_version"], 4);
    assert_eq!(server.read(FLAG).await["version"], 4);
}

#[tokio::test]
async fn delete_needs_if_match_and_list_shows_every_flag_with_its_version() {
    let server = Server::start().await;
    for key in ["a-flag", "b-flag", "c-flag"] {
        server
            .create(&format!("/api/v1/flags/{key}"), boolean_flag(key))
            .await;
    }
    assert_eq!(
        server.keys("/api/v1/flags").await,
        ["a-flag", "b-flag", "c-flag"]
    );
    let list = server.read("/api/v1/flags").await;
    assert!(list.as_array().unwrap().iter().all(|f| f["version"] == 1));

    let path = "/api/v1/flags/b-flag";
    server
        .admin(Method::DELETE, path, None)
        .await
        .expect_problem(
            StatusCode::PRECONDITION_REQUIRED,
            Some("If-Match"),
            "If-Match",
        );
    let stale = server
        .admin_if_match(Method::DELETE, path, "\"2\"", None)
        .await;
    stale.expect(StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["current_version"], 1);
    server.read(path).await;

    server
        .admin_if_match(Method::DELETE, path, "\"1\"", None)
        .await
        .expect(StatusCode::NO_CONTENT);
    server.admin(Method::GET, path, None).await.expect_problem(
        StatusCode::NOT_FOUND,
        None,
        "b-flag",
    );
    assert_eq!(server.keys("/api/v1/flags").await, ["a-flag", "c-flag"]);
    // Deleting what is gone: the named version no longer exists.
    server
        .admin_if_match(Method::DELETE, path, "\"1\"", None)
        .await
        .expect(StatusCode::PRECONDITION_FAILED);
    server
        .admin(Method::DELETE, path, None)
        .await
        .expect(StatusCode::NOT_FOUND);

    // A deleted key can be created again, without If-Match.
    let recreated = server.create(path, boolean_flag("again")).await;
    assert_eq!(recreated["description"], "again");
}

#[tokio::test]
async fn the_key_may_be_left_out_of_the_body_but_must_agree_with_the_url() {
    let server = Server::start().await;
    let created = server
        .create("/api/v1/flags/from-url", boolean_flag("no key in body"))
        .await;
    assert_eq!(created["key"], "from-url");

    let mut named = boolean_flag("same key");
    named["key"] = json!("same-key");
    assert_eq!(
        server.create("/api/v1/flags/same-key", named).await["key"],
        "same-key"
    );

    let mut other = boolean_flag("other key");
    other["key"] = json!("somebody-else");
    let reply = server
        .admin(Method::PUT, "/api/v1/flags/mismatch", Some(other))
        .await;
    reply.expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("key"),
        "somebody-else",
    );
    server
        .admin(Method::GET, "/api/v1/flags/mismatch", None)
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_version_in_the_body_is_ignored_and_never_replaces_if_match() {
    let server = Server::start().await;
    let mut flag = boolean_flag("v");
    flag["version"] = json!(99);
    let created = server.create("/api/v1/flags/versioned", flag.clone()).await;
    assert_eq!(created["version"], 1);

    flag["version"] = json!(1);
    server
        .admin(Method::PUT, "/api/v1/flags/versioned", Some(flag.clone()))
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    flag["version"] = json!(42);
    let replaced = server
        .admin_if_match(Method::PUT, "/api/v1/flags/versioned", "\"1\"", Some(flag))
        .await;
    replaced.expect(StatusCode::OK);
    assert_eq!(replaced.body["version"], 2);
}

#[tokio::test]
async fn variants_keep_the_order_they_were_written_in() {
    let server = Server::start().await;
    let order = ["zulu", "alpha", "mike", "bravo", "yankee"];
    let body = format!(
        r#"{{"variants": {{{}}}, "environments": {{"production": {{"enabled": true,
            "off_variant": "zulu", "default": {{"variant": "mike"}}}}}}}}"#,
        order
            .iter()
            .map(|v| format!("\"{v}\": \"{v}-value\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let created = server
        .request(
            Method::PUT,
            "/api/v1/flags/ordered",
            Some(rollgate_e2e::ADMIN_TOKEN),
        )
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(variant_names(&created.text().await.unwrap()), order);
    assert_eq!(server.variant_order("ordered").await, order);

    // Replacing one environment's configuration keeps the flag's variant order too.
    let configured = server
        .request(
            Method::PUT,
            "/api/v1/flags/ordered/environments/development",
            Some(rollgate_e2e::ADMIN_TOKEN),
        )
        .header("Content-Type", "application/json")
        .header("If-Match", "\"1\"")
        .body(r#"{"off_variant": "bravo", "default": {"variant": "alpha"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(configured.status(), StatusCode::OK);
    assert_eq!(variant_names(&configured.text().await.unwrap()), order);
    assert_eq!(server.variant_order("ordered").await, order);
    // So does the list.
    let list = server
        .request(
            Method::GET,
            "/api/v1/flags",
            Some(rollgate_e2e::ADMIN_TOKEN),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let list: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&list).unwrap();
    assert_eq!(variant_names(list[0].get()), order);
}
