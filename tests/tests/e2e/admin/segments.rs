//! Segments over the admin API: create and replace with versions, the built-in rings
//! (`general` cannot change, none can be deleted), and the references between flags and
//! segments (in use → 409 naming the flag; unknown → 422).

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::examples::{beta_segment, flag_using_segment, listed_segment};
use serde_json::json;

#[tokio::test]
async fn the_built_in_rings_are_seeded_and_beta_is_replaced_with_if_match() {
    let server = Server::start().await;
    assert_eq!(
        server.keys("/api/v1/segments").await,
        ["alpha", "beta", "general"]
    );

    let current = server
        .admin(Method::GET, "/api/v1/segments/beta", None)
        .await;
    current.expect(StatusCode::OK);
    let etag = current.etag().unwrap().to_owned();

    // The §6 example names the segment it replaces; without If-Match that is refused.
    server
        .admin(Method::PUT, "/api/v1/segments/beta", Some(beta_segment()))
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    let replaced = server
        .admin_if_match(
            Method::PUT,
            "/api/v1/segments/beta",
            &etag,
            Some(beta_segment()),
        )
        .await;
    replaced.expect(StatusCode::OK);
    assert_eq!(replaced.body["include"], json!(["user-7"]));
    assert_eq!(
        replaced.body["version"],
        current.body["version"].as_u64().unwrap() + 1
    );
    server
        .admin_if_match(
            Method::PUT,
            "/api/v1/segments/beta",
            &etag,
            Some(beta_segment()),
        )
        .await
        .expect(StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn a_new_segment_is_created_with_version_1() {
    let server = Server::start().await;
    let created = server
        .admin(
            Method::PUT,
            "/api/v1/segments/vip",
            Some(listed_segment(&["u1", "u2"])),
        )
        .await;
    created.expect(StatusCode::CREATED);
    assert_eq!(created.etag(), Some("\"1\""));
    assert_eq!(created.body["key"], "vip");
    assert_eq!(created.body["include"], json!(["u1", "u2"]));
    assert_eq!(server.read("/api/v1/segments/vip").await, created.body);
}

#[tokio::test]
async fn general_cannot_be_changed_and_no_ring_can_be_deleted() {
    let server = Server::start().await;
    let general = server.read("/api/v1/segments/general").await;
    let version = general["version"].to_string();
    for if_match in [None, Some(version.as_str())] {
        let mut request = server
            .request(
                Method::PUT,
                "/api/v1/segments/general",
                Some(rollgate_e2e::ADMIN_TOKEN),
            )
            .json(&listed_segment(&["nobody"]));
        if let Some(v) = if_match {
            request = request.header("If-Match", v);
        }
        server
            .call(request)
            .await
            .expect_problem(StatusCode::CONFLICT, Some("key"), "general");
    }
    for ring in ["alpha", "beta", "general"] {
        let path = format!("/api/v1/segments/{ring}");
        let current = server.read(&path).await["version"].to_string();
        server
            .admin_if_match(Method::DELETE, &path, &current, None)
            .await
            .expect_problem(StatusCode::CONFLICT, Some("key"), ring);
        server.read(&path).await;
    }
    assert_eq!(server.read("/api/v1/segments/general").await, general);
}

#[tokio::test]
async fn a_segment_used_by_a_flag_cannot_be_deleted() {
    let server = Server::start().await;
    server
        .create("/api/v1/segments/vip", listed_segment(&["u1"]))
        .await;
    server
        .create("/api/v1/flags/vip-banner", flag_using_segment("vip"))
        .await;
    let refused = server
        .admin_if_match(Method::DELETE, "/api/v1/segments/vip", "\"1\"", None)
        .await;
    refused.expect_problem(StatusCode::CONFLICT, Some("key"), "vip-banner");
    server.read("/api/v1/segments/vip").await;

    server
        .admin_if_match(Method::DELETE, "/api/v1/flags/vip-banner", "\"1\"", None)
        .await
        .expect(StatusCode::NO_CONTENT);
    server
        .admin(Method::DELETE, "/api/v1/segments/vip", None)
        .await
        .expect(StatusCode::PRECONDITION_REQUIRED);
    server
        .admin_if_match(Method::DELETE, "/api/v1/segments/vip", "\"1\"", None)
        .await
        .expect(StatusCode::NO_CONTENT);
    server
        .admin(Method::GET, "/api/v1/segments/vip", None)
        .await
        .expect(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_flag_naming_an_unknown_segment_is_refused() {
    let server = Server::start().await;
    let reply = server
        .admin(
            Method::PUT,
            "/api/v1/flags/orphan",
            Some(flag_using_segment("nobody-here")),
        )
        .await;
    reply.expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("environments.production.rules[0].segment"),
        "nobody-here",
    );
    server
        .admin(Method::GET, "/api/v1/flags/orphan", None)
        .await
        .expect(StatusCode::NOT_FOUND);
}
