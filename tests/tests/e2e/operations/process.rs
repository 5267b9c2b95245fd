//! The process as an operator sees it: `/healthz` and `/readyz`, JSON logs on stderr, a
//! bad setting stopping `rollgate serve` with a message naming it, and `--demo` seeding
//! flags and printing credentials that work.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::ofrep::{
    assert_served, bool_flag, bulk, bulk_entry, evaluate_for, put_flag, send,
};
use rollgate_e2e::{Options, Server, binary, wait};
use serde_json::{Value, json};

#[tokio::test]
async fn healthz_and_readyz_answer_200_and_readyz_reports_revisions() {
    let server = Server::start().await;
    let health = send(server.request(Method::GET, "/healthz", None)).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text);
    assert_eq!(health.json()["status"], "ok");

    let ready = |server: &Server| {
        let request = server.request(Method::GET, "/readyz", None);
        async move {
            let raw = send(request).await;
            assert_eq!(raw.status, StatusCode::OK, "{}", raw.text);
            raw.json()
        }
    };
    let before = ready(&server).await;
    assert_eq!(before["status"], "ready");
    let store = before["store_revision"].as_u64().expect("store_revision");
    assert!(store >= 1, "a seeded store: {before}");
    assert_eq!(before["served_revision"].as_u64(), Some(store), "{before}");

    put_flag(
        &server,
        &bool_flag("ready-check", json!({ "default": { "variant": "on" } })),
    )
    .await;
    let after = ready(&server).await;
    assert_eq!(after["store_revision"].as_u64(), Some(store + 1), "{after}");
    assert_eq!(
        after["served_revision"].as_u64(),
        Some(store + 1),
        "{after}"
    );
}

#[tokio::test]
async fn with_log_format_json_every_stderr_line_is_a_json_object() {
    let logging = |format: &str| Options {
        env: vec![
            ("ROLLGATE_LOG__FORMAT".into(), format.into()),
            ("ROLLGATE_LOG__LEVEL".into(), "info".into()),
        ],
        capture_stderr: true,
        ..Options::default()
    };
    let mut server = Server::start_with(logging("json")).await;
    put_flag(
        &server,
        &bool_flag("logged", json!({ "default": { "variant": "on" } })),
    )
    .await;
    server.signal_terminate();
    assert!(server.wait().await.success(), "a clean exit on SIGTERM");
    let lines = wait::until(Duration::from_secs(30), "the shutdown log line", || {
        let lines = server.stderr();
        async move {
            if lines.iter().any(|l| l.contains("stopped")) {
                Ok(lines)
            } else {
                Err(format!("{lines:?}"))
            }
        }
    })
    .await;
    assert!(
        lines.len() >= 3,
        "startup and shutdown are logged: {lines:?}"
    );
    for line in &lines {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line:?}"));
        assert!(entry.is_object(), "{line}");
        assert!(entry["level"].is_string(), "no level in {line}");
        assert!(entry["timestamp"].is_string(), "no timestamp in {line}");
    }

    // The setting is what makes them JSON: text logs are not.
    let text = Server::start_with(logging("text")).await;
    let lines = wait::until(Duration::from_secs(30), "a text log line", || {
        let lines = text.stderr();
        async move {
            if lines.is_empty() {
                Err("nothing on stderr")
            } else {
                Ok(lines)
            }
        }
    })
    .await;
    assert!(
        lines
            .iter()
            .all(|l| serde_json::from_str::<Value>(l).is_err()),
        "{lines:?}"
    );
}

/// Runs `rollgate serve` with `args` and `vars` only, expecting it to refuse to start;
/// returns what it printed on stderr.
async fn refused(args: &[&str], vars: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(binary());
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("rollgate exits on its own")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{args:?} {vars:?} started anyway: {stdout}"
    );
    assert!(
        !stdout.contains("listening"),
        "{args:?} {vars:?} listened: {stdout}"
    );
    stderr
}

#[tokio::test]
async fn a_bad_setting_stops_serve_with_a_message_naming_it() {
    let stderr = refused(&[], &[("ROLLGATE_BIND", "nowhere")]).await;
    assert!(stderr.contains("bind"), "{stderr}");
    let stderr = refused(&["--bind", "127.0.0.1:0"], &[("ROLLGATE_FOO", "1")]).await;
    assert!(stderr.to_lowercase().contains("foo"), "{stderr}");
    let stderr = refused(
        &["--bind", "127.0.0.1:0"],
        &[("ROLLGATE_LIMITS__MAX_CONTEXT_BYTES", "1")],
    )
    .await;
    assert!(stderr.contains("limits.max_context_bytes"), "{stderr}");
    let stderr = refused(
        &["--bind", "127.0.0.1:0"],
        &[("ROLLGATE_LOG__FORMAT", "xml")],
    )
    .await;
    assert!(
        stderr.contains("format") || stderr.contains("xml"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rollgate.toml");
    std::fs::write(&file, "[limits]\nmax_body_byte = 4096\n").unwrap();
    let stderr = refused(
        &["--bind", "127.0.0.1:0", "--config", file.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(stderr.contains("max_body_byte"), "{stderr}");
}

#[tokio::test]
async fn demo_seeds_flags_and_prints_an_admin_token_and_sdk_keys_that_work() {
    let server = Server::start_with(Options {
        args: vec!["--demo".into()],
        no_admin_token: true,
        ..Options::default()
    })
    .await;
    let (admin, production, development) =
        wait::until(Duration::from_secs(30), "the demo credentials", || async {
            let credentials = || {
                Some((
                    server.printed("admin token:")?,
                    server.printed("SDK key (production):")?,
                    server.printed("SDK key (development):")?,
                ))
            };
            credentials().ok_or_else(|| format!("{:?} {:?}", server.banner, server.stdout()))
        })
        .await;
    assert!(admin.starts_with("rg_adm_"), "{admin}");
    assert!(production.starts_with("rg_sdk_"), "{production}");

    let flags = server
        .call(server.request(Method::GET, "/api/v1/flags", Some(&admin)))
        .await;
    assert_eq!(flags.status, StatusCode::OK, "{:?}", flags.body);
    let keys: Vec<&str> = flags
        .body
        .as_array()
        .expect("a list of flags")
        .iter()
        .filter_map(|f| f["key"].as_str())
        .collect();
    for key in ["new-checkout", "checkout-theme", "search-v2"] {
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
    let token = server
        .call(
            server
                .request(Method::POST, "/api/v1/tokens", Some(&admin))
                .json(&json!({ "kind": "sdk", "environment": "production", "name": "from-demo-admin" })),
        )
        .await;
    assert_eq!(
        token.status,
        StatusCode::CREATED,
        "the demo admin token is an admin"
    );

    let alpha = json!({ "targetingKey": "user-1", "ring": "alpha" });
    let served = assert_served(
        &evaluate_for(&server, &production, "search-v2", alpha.clone()).await,
        "search-v2",
    );
    assert_eq!(
        (served["reason"].as_str(), served["value"].as_bool()),
        (Some("TARGETING_MATCH"), Some(true))
    );
    let split = assert_served(
        &evaluate_for(&server, &production, "new-checkout", alpha.clone()).await,
        "new-checkout",
    );
    assert_eq!(split["reason"], "SPLIT");
    let listed = bulk(
        &server,
        &development,
        &json!({ "context": alpha }).to_string(),
        None,
    )
    .await;
    let theme = bulk_entry(&listed, "checkout-theme");
    assert_eq!(theme["value"], "sunset", "the development config: {theme}");
}
