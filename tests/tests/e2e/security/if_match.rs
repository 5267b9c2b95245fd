//! `If-Match` means a version: `*` does not name the version a write replaces and is
//! refused with 428, anything else that is not a version with 400, and nothing is
//! written either way.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{ADMIN_TOKEN, Reply, Server};
use serde_json::{Value, json};

async fn write(
    server: &Server,
    method: Method,
    path: &str,
    if_match: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = server
        .request(method, path, Some(ADMIN_TOKEN))
        .header("If-Match", if_match);
    if let Some(body) = body {
        request = request.json(&body);
    }
    server.call(request).await
}

#[tokio::test]
async fn a_star_or_anything_but_a_version_is_refused_and_nothing_is_written() {
    let server = Server::start().await;
    let flag = json!({ "variants": { "on": true, "off": false } });
    let created = server
        .admin(Method::PUT, "/api/v1/flags/guarded", Some(flag.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let mut changed = flag.clone();
    changed["description"] = json!("changed without naming a version");
    for (method, path, body) in [
        (Method::PUT, "/api/v1/flags/guarded", Some(changed.clone())),
        (Method::DELETE, "/api/v1/flags/guarded", None),
        (
            Method::PUT,
            "/api/v1/segments/beta",
            Some(json!({ "description": "everyone now", "rules": [] })),
        ),
        (
            Method::PUT,
            "/api/v1/environments/production",
            Some(json!({ "description": "x" })),
        ),
    ] {
        let star = write(&server, method.clone(), path, "*", body.clone()).await;
        assert_eq!(
            star.status,
            StatusCode::PRECONDITION_REQUIRED,
            "{method} {path} with If-Match: *: {:?}",
            star.body
        );
        assert_eq!(star.body["field"], "If-Match");
        assert!(
            star.body["detail"].as_str().unwrap().contains('*'),
            "the reason names `*`: {:?}",
            star.body
        );
        for junk in ["W/\"x\"", "\"1\", \"2\"", "latest", "\"-1\""] {
            let reply = write(&server, method.clone(), path, junk, body.clone()).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{junk}: {:?}",
                reply.body
            );
            assert_eq!(reply.body["field"], "If-Match");
        }
    }
    let audit = server
        .admin(Method::GET, "/api/v1/audit?kind=flag&key=guarded", None)
        .await;
    assert_eq!(
        audit.body.as_array().unwrap().len(),
        1,
        "only the creation: {:?}",
        audit.body
    );
    // The version itself still works.
    let versioned = write(
        &server,
        Method::PUT,
        "/api/v1/flags/guarded",
        "\"1\"",
        Some(changed),
    )
    .await;
    assert_eq!(versioned.status, StatusCode::OK, "{:?}", versioned.body);
}

#[tokio::test]
async fn twenty_racing_star_writes_all_lose() {
    let server = Server::start().await;
    let created = server
        .admin(
            Method::PUT,
            "/api/v1/flags/raced",
            Some(json!({ "variants": { "on": true } })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let writes = (0..20).map(|n| {
        write(
            &server,
            Method::PUT,
            "/api/v1/flags/raced",
            "*",
            Some(json!({ "description": format!("writer {n}"), "variants": { "on": true } })),
        )
    });
    let replies = futures_util::future::join_all(writes).await;
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::PRECONDITION_REQUIRED)
    );
    let flag = server.admin(Method::GET, "/api/v1/flags/raced", None).await;
    assert_eq!(flag.body["version"], 1, "{:?}", flag.body);
}
