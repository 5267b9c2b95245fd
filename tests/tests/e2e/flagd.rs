//! flagd files through the server: `POST /api/v1/import/flagd` (and `rollgate import
//! flagd`) writes every operator people use in one commit, and what it wrote serves as
//! flagd would — flagd's published fractional vectors included, through OFREP; a file
//! with anything Rollgate cannot state, a malformed file or a cyclic `$ref` is a `422`
//! naming each construct and its path, and changes nothing; `GET
//! /api/v1/export/flagd` (and `rollgate export flagd`) writes an environment back.

use reqwest::{Method, StatusCode};
use std::time::Duration;

use rollgate_e2e::{ADMIN_TOKEN, Reply, Server, binary, tools, workspace};
use serde_json::{Value, json};

/// Posts `body` (as text, so malformed JSON stays malformed) to the import route.
async fn import(server: &Server, query: &str, body: &str) -> Reply {
    let request = server
        .request(
            Method::POST,
            &format!("/api/v1/import/flagd?{query}"),
            Some(ADMIN_TOKEN),
        )
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    server.call(request).await
}

/// The variant OFREP serves for `flag` and `context` in production.
async fn variant(server: &Server, key: &str, flag: &str, context: Value) -> String {
    let reply = server.evaluate(key, flag, context.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{flag} {context}: {:?}",
        reply.body
    );
    reply.body["variant"].as_str().unwrap().to_owned()
}

/// Runs the `rollgate` command line against `server` as its admin.
async fn cli(server: &Server, args: &[&str]) -> tools::Run {
    let mut command = tokio::process::Command::new(binary());
    command
        .args(args)
        .env("ROLLGATE_URL", &server.url)
        .env("ROLLGATE_TOKEN", ADMIN_TOKEN);
    tools::run(&mut command, Duration::from_secs(60)).await
}

/// [`cli`], which must succeed; its standard output.
async fn cli_ok(server: &Server, args: &[&str]) -> String {
    let run = cli(server, args).await;
    assert!(
        run.status.success(),
        "{args:?}: {}{}",
        run.stdout,
        run.stderr
    );
    run.stdout
}

fn flag(targeting: Value) -> Value {
    json!({ "state": "ENABLED", "variants": { "on": true, "off": false },
            "defaultVariant": "off", "targeting": targeting })
}

fn when(condition: Value) -> Value {
    flag(json!({ "if": [condition, "on", "off"] }))
}

/// A file with every operator the import supports, and the contexts that tell them
/// apart with the variant flagd serves for each.
fn every_operator() -> (Value, Vec<(&'static str, Value, &'static str)>) {
    let country = json!({ "var": "country" });
    let file = json!({
        "$schema": "https://flagd.dev/schema/v0/flags.json",
        "flags": {
            "op-eq": when(json!({ "==": [country, "NL"] })),
            "op-ne": when(json!({ "!=": [{ "var": "plan" }, "free"] })),
            "op-in": when(json!({ "in": [country, ["NL", "BE"]] })),
            "op-starts-with": when(json!({ "starts_with": [{ "var": "email" }, "admin@"] })),
            "op-ends-with": when(json!({ "ends_with": [{ "var": "email" }, "@example.com"] })),
            "op-sem-ver": when(json!({ "sem_ver": [{ "var": "version" }, ">=", "2.0.0"] })),
            "op-logic": when(json!({ "and": [
                { "or": [{ "==": [country, "NL"] }, { "==": [country, "BE"] }] },
                { "!": { "==": [{ "var": "plan" }, "free"] } } ] })),
            "op-ref": when(json!({ "$ref": "staff" })),
            "op-fractional": flag(json!({ "fractional": [["on", 50], ["off", 50]] })),
            "op-nested-if": flag(json!({ "if": [
                { "==": [country, "NL"] }, { "if": [{ "==": [{ "var": "plan" }, "pro"] }, "on", "off"] },
                "off" ] })),
            "op-disabled": { "state": "DISABLED", "variants": { "on": true, "off": false },
                             "defaultVariant": "off" },
        },
        "$evaluators": { "staff": { "ends_with": [{ "var": "email" }, "@staff.example"] } }
    });
    let cases = vec![
        ("op-eq", json!({ "country": "NL" }), "on"),
        ("op-eq", json!({ "country": "DE" }), "off"),
        ("op-ne", json!({ "plan": "pro" }), "on"),
        ("op-ne", json!({ "plan": "free" }), "off"),
        ("op-in", json!({ "country": "BE" }), "on"),
        ("op-in", json!({ "country": "US" }), "off"),
        (
            "op-starts-with",
            json!({ "email": "admin@shop.example" }),
            "on",
        ),
        (
            "op-starts-with",
            json!({ "email": "someone@shop.example" }),
            "off",
        ),
        ("op-ends-with", json!({ "email": "a@example.com" }), "on"),
        ("op-ends-with", json!({ "email": "a@example.org" }), "off"),
        ("op-sem-ver", json!({ "version": "2.1.0" }), "on"),
        ("op-sem-ver", json!({ "version": "1.9.9" }), "off"),
        ("op-sem-ver", json!({ "version": "not a version" }), "off"),
        ("op-logic", json!({ "country": "BE", "plan": "pro" }), "on"),
        (
            "op-logic",
            json!({ "country": "BE", "plan": "free" }),
            "off",
        ),
        ("op-logic", json!({ "country": "DE", "plan": "pro" }), "off"),
        ("op-ref", json!({ "email": "ann@staff.example" }), "on"),
        ("op-ref", json!({ "email": "ann@example.com" }), "off"),
        (
            "op-nested-if",
            json!({ "country": "NL", "plan": "pro" }),
            "on",
        ),
        (
            "op-nested-if",
            json!({ "country": "NL", "plan": "free" }),
            "off",
        ),
        ("op-disabled", json!({}), "off"),
    ];
    (file, cases)
}

#[tokio::test]
async fn every_operator_is_imported_in_one_commit_and_serves_as_flagd_would() {
    let server = Server::start().await;
    let key = server.sdk_key("production").await;
    let (file, cases) = every_operator();
    let before = server.audit_head().await;

    let dry = import(
        &server,
        "environment=production&dry_run=true",
        &file.to_string(),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.body);
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(dry.body["revision"], Value::Null);
    assert_eq!(
        dry.body["flags"].as_array().unwrap().len(),
        11,
        "{}",
        dry.body
    );
    assert_eq!(dry.body["segments"][0]["key"], "staff");
    assert_eq!(
        server.audit_head().await,
        before,
        "a dry run writes nothing"
    );
    let missing = server.admin(Method::GET, "/api/v1/flags/op-eq", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let done = import(&server, "environment=production", &file.to_string()).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let revision = done.body["revision"].as_u64().unwrap();
    assert!(revision > before);
    assert_eq!(
        done.body["flags"], dry.body["flags"],
        "the dry run showed what was written"
    );
    assert!(
        done.body["flags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["action"] == "created")
    );
    // One commit: every flag and the segment are audited at its revision, and only there.
    let imported: Vec<Value> = server
        .audit("limit=100")
        .await
        .into_iter()
        .filter(|e| e["action"] == "flagd.import")
        .collect();
    assert_eq!(imported.len(), 12, "11 flags and a segment: {imported:?}");
    assert!(
        imported.iter().all(|e| e["revision"] == revision),
        "{imported:?}"
    );

    for (flag, context, want) in cases {
        assert_eq!(
            variant(&server, &key, flag, context.clone()).await,
            want,
            "{flag} {context}"
        );
    }
    // fractional: both arms served, each to about half of the users.
    let mut on = 0;
    for i in 0..200 {
        if variant(
            &server,
            &key,
            "op-fractional",
            json!({ "targetingKey": format!("u{i}") }),
        )
        .await
            == "on"
        {
            on += 1;
        }
    }
    assert!((60..=140).contains(&on), "{on} of 200");

    // Again: every key exists, so nothing is written without `replace`.
    let again = import(&server, "environment=production", &file.to_string()).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        again.body
    );
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    let replaced = import(
        &server,
        "environment=production&replace=true",
        &file.to_string(),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::OK, "{:?}", replaced.body);
    assert!(
        replaced.body["flags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["action"] == "replaced")
    );
}

#[tokio::test]
async fn flagds_published_fractional_vectors_hold_through_the_server() {
    let server = Server::start().await;
    let key = server.sdk_key("production").await;
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("core/tests/flagd/data/testbed-fractional.json"))
            .unwrap(),
    )
    .unwrap();
    let file = json!({ "flags": data["flags"] });
    let done = import(&server, "environment=production", &file.to_string()).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let flag = case["flag"].as_str().unwrap();
        let reply = server.evaluate(&key, flag, case["context"].clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{case}: {:?}", reply.body);
        assert_eq!(
            reply.body["value"], case["value"],
            "{case}: {:?}",
            reply.body
        );
    }
}

#[tokio::test]
async fn a_file_with_anything_rollgate_cannot_state_changes_nothing() {
    let server = Server::start().await;
    let state = server.stored_state().await;
    let unsupported = json!({ "flags": {
        "fine": when(json!({ "==": [{ "var": "country" }, "NL"] })),
        "regex": when(json!({ "regex_match": [{ "var": "email" }, ".*"] })),
        "computed": flag(json!({ "if": [true, { "var": "choice" }, "off"] })),
    } });
    let cyclic = json!({
        "flags": { "loop": when(json!({ "$ref": "a" })) },
        "$evaluators": { "a": { "or": [{ "$ref": "b" }, false] }, "b": { "and": [{ "$ref": "a" }, true] } }
    });
    let cases: Vec<(String, &str, &str)> = vec![
        (
            unsupported.to_string(),
            "flags.regex.targeting.if[0].regex_match",
            "regex_match",
        ),
        (cyclic.to_string(), "", "cycl"),
        ("{ \"flags\": ".to_owned(), "", ""),
        ("[]".to_owned(), "", ""),
        (json!({ "flags": 3 }).to_string(), "flags", ""),
        (
            json!({ "flags": { "x": { "state": "ON", "variants": {}, "defaultVariant": "a" } } })
                .to_string(),
            "flags.x",
            "",
        ),
        (
            json!({ "flags": { "x": when(json!({ "==": [{ "var": "a" }, "b"] })) }, "flags2": {} })
                .to_string(),
            "",
            "",
        ),
    ];
    for (body, field, fragment) in &cases {
        let reply = import(&server, "environment=production", body).await;
        assert!(reply.status.is_client_error(), "{body}: {:?}", reply.status);
        assert_ne!(reply.status, StatusCode::NOT_FOUND, "{body}");
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(!detail.is_empty(), "{body}: {:?}", reply.body);
        let fields = reply.error_fields();
        if !field.is_empty() {
            assert!(
                fields.iter().any(|f| f.starts_with(field)),
                "{body}: {fields:?} {detail}"
            );
        }
        assert!(detail.contains(fragment), "{body}: {detail}");
    }
    // Every problem of a file is reported, each with its flag.
    let reply = import(&server, "environment=production", &unsupported.to_string()).await;
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"regex\"") && detail.contains("\"computed\""),
        "{detail}"
    );
    // Bad queries.
    for query in [
        "",
        "environment=nowhere",
        "environment=production&bogus=1",
        "environment=production&dry_run=maybe",
    ] {
        let reply = import(&server, query, &json!({ "flags": {} }).to_string()).await;
        assert!(reply.status.is_client_error(), "{query}: {:?}", reply.body);
    }
    assert_eq!(server.stored_state().await, state, "nothing was written");
}

#[tokio::test]
async fn an_environment_goes_back_out_as_a_flagd_file_and_the_cli_speaks_flagd() {
    let server = Server::start().await;
    let (file, _) = every_operator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.flagd.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let path_text = path.to_str().unwrap();
    let stdout = cli_ok(
        &server,
        &[
            "import",
            "flagd",
            path_text,
            "--environment",
            "production",
            "--dry-run",
        ],
    )
    .await;
    assert!(
        stdout.contains("dry run") && stdout.contains("op-sem-ver (created)"),
        "{stdout}"
    );
    let missing = server.admin(Method::GET, "/api/v1/flags/op-eq", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let stdout = cli_ok(&server, &["import", "flagd", path_text, "-e", "production"]).await;
    assert!(
        stdout.contains("imported into production (revision"),
        "{stdout}"
    );

    let bad = dir.path().join("bad.json");
    let regex = when(json!({ "regex_match": [{ "var": "e" }, "x"] }));
    std::fs::write(&bad, json!({ "flags": { "r": regex } }).to_string()).unwrap();
    let bad = bad.to_str().unwrap();
    let refused = cli(&server, &["import", "flagd", bad, "-e", "development"]).await;
    assert!(!refused.status.success());
    assert!(
        refused.stderr.contains("regex_match") && refused.stderr.contains("422"),
        "{}",
        refused.stderr
    );

    // The whole-catalog export is untouched by the flagd subcommand.
    assert!(
        cli_ok(&server, &["export"])
            .await
            .contains("rollgate.catalog/v1")
    );

    let exported = server
        .admin(
            Method::GET,
            "/api/v1/export/flagd?environment=production",
            None,
        )
        .await;
    assert_eq!(exported.status, StatusCode::OK, "{:?}", exported.body);
    let flags = exported.body["flagd"]["flags"].as_object().unwrap();
    for key in file["flags"].as_object().unwrap().keys() {
        assert!(flags.contains_key(key), "{key} exported: {}", exported.body);
    }
    // The way back in: the exported file imports into another environment.
    let back = import(
        &server,
        "environment=development&replace=true",
        &exported.body["flagd"].to_string(),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);

    let out = dir.path().join("out.json");
    let out_text = out.to_str().unwrap();
    cli_ok(
        &server,
        &["export", "flagd", "-e", "production", "-o", out_text],
    )
    .await;
    let text: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(text, exported.body["flagd"]);
    let unknown = server
        .admin(
            Method::GET,
            "/api/v1/export/flagd?environment=nowhere",
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}
