//! The served OpenAPI document is valid OpenAPI — checked by `openapi-spec-validator`
//! (pinned in tests/schemathesis/requirements.txt) — and a client built from it alone
//! calls the query parameters correctly: each named here is declared `in: query`, and
//! requests placed where the document says are answered as asked.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::openapi::ApiDocument;
use rollgate_e2e::{ADMIN_TOKEN, Server, tools};
use serde_json::{Value, json};

/// The query parameters of each operation (`GET` all).
const QUERY_PARAMETERS: [(&str, &[&str]); 7] = [
    ("/api/v1/audit", &["kind", "key", "before", "limit"]),
    ("/api/v1/export/flagd", &["environment"]),
    ("/api/v1/changelog", &["view", "format", "environment"]),
    ("/api/v1/releases", &["state", "environment"]),
    ("/api/v1/releases/{id}/report", &["format"]),
    ("/changelog.atom", &["environment"]),
    ("/ofrep/v1/event-stream", &["token"]),
];

/// The parameters of `GET path` as the document declares them: name → location.
fn parameters(api: &ApiDocument, path: &str) -> Vec<(String, String)> {
    api.doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path} has no parameters"))
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["in"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A URL for `GET template` built from the document alone: path parameters substituted,
/// every other parameter placed where the document declares it.
fn build(
    api: &ApiDocument,
    template: &str,
    values: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let mut path = template.to_owned();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for (name, location) in parameters(api, template) {
        let Some((_, value)) = values.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        match location.as_str() {
            "path" => path = path.replace(&format!("{{{name}}}"), value),
            "query" => query.push(format!("{name}={value}")),
            "header" => headers.push((name, (*value).to_owned())),
            other => panic!("{name} in {other}"),
        }
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    (path, headers)
}

#[tokio::test]
async fn the_document_passes_a_real_openapi_validator() {
    let server = Server::start().await;
    let api = ApiDocument::fetch(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&api.doc).unwrap()).unwrap();
    let script = "import sys\n\
        from openapi_spec_validator import validate\n\
        from openapi_spec_validator.readers import read_from_filename\n\
        spec, _ = read_from_filename(sys.argv[1])\n\
        validate(spec)\n\
        print('valid')\n";
    let mut command = tokio::process::Command::new(tools::python());
    command.arg("-c").arg(script).arg(&file);
    let run = tools::run(&mut command, Duration::from_secs(120)).await;
    assert!(
        run.status.success() && run.stdout.contains("valid"),
        "openapi-spec-validator refused the document:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[tokio::test]
async fn a_client_built_from_the_document_calls_query_parameters_correctly() {
    let server = Server::start().await;
    let api = ApiDocument::fetch(&server).await;
    for (path, names) in QUERY_PARAMETERS {
        let declared = parameters(&api, path);
        for name in names {
            let location = declared
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, l)| l.as_str());
            assert_eq!(
                location,
                Some("query"),
                "GET {path}: {name} is {location:?}"
            );
        }
    }
    // Two audited writes; `limit=1` placed by the document returns one of them.
    for key in ["one", "two"] {
        let reply = server
            .admin(
                Method::PUT,
                &format!("/api/v1/flags/{key}"),
                Some(json!({ "variants": { "on": true } })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let client = &server;
    let get = move |path: String| async move {
        client
            .call(client.request(Method::GET, &path, Some(ADMIN_TOKEN)))
            .await
    };
    let (path, _) = build(
        &api,
        "/api/v1/audit",
        &[("kind", "flag"), ("key", "two"), ("limit", "1")],
    );
    let audit = get(path.clone()).await;
    assert_eq!(audit.status, StatusCode::OK, "{path}: {:?}", audit.body);
    let events = audit.body.as_array().unwrap();
    assert_eq!(events.len(), 1, "{path}: {events:?}");
    assert_eq!(events[0]["key"], "two");
    let (path, _) = build(
        &api,
        "/api/v1/changelog",
        &[("view", "public"), ("format", "md")],
    );
    let changelog = get(path.clone()).await;
    assert_eq!(
        changelog.status,
        StatusCode::OK,
        "{path}: {:?}",
        changelog.body
    );
    assert!(
        matches!(changelog.body, Value::String(_) | Value::Null),
        "{path}: Markdown"
    );
    let (path, _) = build(&api, "/api/v1/changelog", &[("view", "everything")]);
    let refused = get(path.clone()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{path}");
    assert_eq!(refused.body["field"], "view");
    let (path, _) = build(
        &api,
        "/api/v1/releases",
        &[("state", "running"), ("environment", "production")],
    );
    let releases = get(path.clone()).await;
    assert_eq!(
        (releases.status, releases.body.clone()),
        (StatusCode::OK, json!([])),
        "{path}"
    );
    let (path, _) = build(&api, "/changelog.atom", &[("environment", "production")]);
    let feed = get(path.clone()).await;
    assert_eq!(feed.status, StatusCode::OK, "{path}");
    assert!(
        feed.body
            .as_str()
            .unwrap()
            .contains("Changelog (production)")
    );
    let (path, _) = build(
        &api,
        "/ofrep/v1/event-stream",
        &[("token", "not-a-credential")],
    );
    let stream = server.call(server.request(Method::GET, &path, None)).await;
    assert_eq!(
        stream.status,
        StatusCode::UNAUTHORIZED,
        "{path}: {:?}",
        stream.body
    );
}
