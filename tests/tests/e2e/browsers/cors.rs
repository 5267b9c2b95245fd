//! CORS as a browser meets it: an allowed origin gets preflight answers and readable
//! evaluations (with `ETag` exposed), another origin gets nothing a browser would hand
//! to its page, the admin API never answers CORS, and origins that are not origins stop
//! the server at start with the setting's name.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Reply, Server, binary};
use serde_json::json;

const SHOP: &str = "http://shop.example:3000";
const OTHER: &str = "https://evil.example";

fn with_origins(origins: &str) -> Options {
    Options {
        env: vec![(
            "ROLLGATE_CORS__ALLOWED_ORIGINS".to_owned(),
            origins.to_owned(),
        )],
        ..Options::default()
    }
}

/// A preflight for `method` at `path` from `origin`, asking for `headers`.
async fn preflight(server: &Server, path: &str, origin: &str, method: &str) -> Reply {
    let request = server
        .request(Method::OPTIONS, path, None)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,if-none-match",
        );
    server.call(request).await
}

/// A bulk evaluation as a page on `origin` sends it.
async fn bulk_from(server: &Server, key: &str, origin: &str) -> Reply {
    let request = server
        .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(key))
        .header("Origin", origin)
        .json(&json!({ "context": { "targetingKey": "user-1" } }));
    server.call(request).await
}

fn no_cors(reply: &Reply, what: &str) {
    for header in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
    ] {
        assert_eq!(
            reply.header(header),
            None,
            "{what}: {header} {:?}",
            reply.headers
        );
    }
}

#[tokio::test]
async fn an_allowed_origin_gets_preflights_and_readable_evaluations() {
    let server = Server::start_with(with_origins(&format!("{SHOP},https://www.example"))).await;
    let key = server.sdk_key("production").await;
    for (path, method) in [
        ("/ofrep/v1/evaluate/flags", "POST"),
        ("/ofrep/v1/evaluate/flags/checkout", "POST"),
        ("/ofrep/v1/event-stream", "GET"),
        ("/sdk/v1/ruleset", "GET"),
    ] {
        let reply = preflight(&server, path, SHOP, method).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{path}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some(SHOP),
            "{path}"
        );
        let methods = reply.header("access-control-allow-methods").unwrap();
        assert!(methods.contains(method), "{path}: {methods}");
        let headers = reply
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        for asked in ["authorization", "content-type", "if-none-match"] {
            assert!(headers.contains(asked), "{path}: {headers}");
        }
        let max_age: u64 = reply
            .header("access-control-max-age")
            .unwrap()
            .parse()
            .unwrap();
        assert!(max_age >= 600, "preflights are cached: {max_age}");
        assert!(reply.header("vary").unwrap().contains("Origin"));
    }

    let reply = bulk_from(&server, &key, SHOP).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.header("access-control-allow-origin"), Some(SHOP));
    let exposed = reply.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("ETag"), "{exposed}");
    assert!(reply.header("etag").is_some());
    assert!(reply.header("vary").unwrap().contains("Origin"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);

    // Refusals carry the headers too, so the page can read why.
    let reply = bulk_from(&server, "rg_sdk_ABCDEFGHIJKL_wrong", SHOP).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("access-control-allow-origin"), Some(SHOP));
}

#[tokio::test]
async fn other_origins_and_the_admin_api_get_no_cors() {
    let server = Server::start_with(with_origins(SHOP)).await;
    let key = server.sdk_key("production").await;

    let reply = preflight(&server, "/ofrep/v1/evaluate/flags", OTHER, "POST").await;
    assert_ne!(reply.status, StatusCode::NO_CONTENT);
    no_cors(&reply, "preflight from another origin");
    let reply = bulk_from(&server, &key, OTHER).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the server answers; the browser hides it"
    );
    no_cors(&reply, "evaluation from another origin");

    // The admin API never answers CORS, even to an allowed origin.
    for (method, path) in [
        ("POST", "/api/v1/tokens"),
        ("GET", "/api/v1/flags"),
        ("GET", "/api/v1/catalog"),
        ("GET", "/metrics"),
    ] {
        let reply = preflight(&server, path, SHOP, method).await;
        assert_ne!(reply.status, StatusCode::NO_CONTENT, "{path}");
        no_cors(&reply, path);
        let request = server
            .request(Method::GET, path, Some(rollgate_e2e::ADMIN_TOKEN))
            .header("Origin", SHOP);
        no_cors(&server.call(request).await, path);
    }
}

#[tokio::test]
async fn any_origin_is_answered_with_a_star_and_none_by_default() {
    let server = Server::start_with(with_origins("*")).await;
    let key = server.sdk_key("production").await;
    let reply = preflight(&server, "/ofrep/v1/evaluate/flags", OTHER, "POST").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let reply = bulk_from(&server, &key, OTHER).await;
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    drop(server);

    let server = Server::start().await;
    let key = server.sdk_key("production").await;
    let reply = preflight(&server, "/ofrep/v1/evaluate/flags", SHOP, "POST").await;
    no_cors(&reply, "CORS is off by default");
    no_cors(
        &bulk_from(&server, &key, SHOP).await,
        "CORS is off by default",
    );
}

#[tokio::test]
async fn origins_that_are_not_origins_stop_the_server_with_the_setting_named() {
    for origins in [
        "shop.example.com",
        "https://shop.example.com/",
        "https://shop.example.com/app",
        "*,https://shop.example.com",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = tokio::process::Command::new(binary())
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .env("ROLLGATE_BIND", "127.0.0.1:0")
            .env("ROLLGATE_CORS__ALLOWED_ORIGINS", origins)
            .output()
            .await
            .unwrap();
        assert!(!output.status.success(), "{origins}: started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("cors.allowed_origins")
                || stderr.contains("ROLLGATE_CORS__ALLOWED_ORIGINS"),
            "{origins}: {stderr}"
        );
        assert!(stderr.contains("origin"), "{origins}: {stderr}");
    }
}
