//! The real OpenFeature web SDK (`@openfeature/web-sdk` with
//! `@openfeature/ofrep-web-provider`), bundled by esbuild into a page served from
//! another origin than Rollgate's and run in headless Chromium with a frontend key: it
//! loads the flags through CORS, and a flag changed through the admin API reaches the
//! page by itself — the provider's SSE connection to OFREP's event stream announces it,
//! the SDK refetches and emits `ConfigurationChanged`. The time from the admin API's
//! answer to the page's report is printed (a measurement, never asserted).

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, tools, wait};
use serde_json::{Value, json};

use super::page::{PageServer, Report};
use crate::sdk::support::{bool_flag, put_flag};

/// How long the page gets to start, and then to see the change.
const DEADLINE: Duration = Duration::from_secs(60);

/// The page bundle: web_page.mjs and the SDK, through esbuild.
async fn bundle() -> Vec<u8> {
    let dir = tools::openfeature_js();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("page.js");
    let mut command = tokio::process::Command::new(tools::node());
    command
        .current_dir(&dir)
        .arg(dir.join("build_page.mjs"))
        .arg(&file);
    let run = tools::run(&mut command, Duration::from_secs(120)).await;
    assert!(
        run.status.success(),
        "esbuild failed: {}\n{}",
        run.stdout,
        run.stderr
    );
    std::fs::read(&file).unwrap()
}

fn page(config: &Value) -> String {
    // `</` cannot end the script element early: the JSON has no `<` left.
    let config = config.to_string().replace('<', "\\u003c");
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>web SDK</title>\
         <link rel=\"icon\" href=\"data:,\"></head><body>\
         <script id=\"config\" type=\"application/json\">{config}</script>\
         <script src=\"/page.js\"></script></body></html>"
    )
}

/// The first report of `event` in which `flag` has `value`, or what the page reported
/// instead; an error the page reported fails the test.
fn reported(page: &PageServer, event: &str, flag: &str, value: bool) -> Result<Report, String> {
    let reports = page.reports();
    if let Some(error) = reports.iter().find(|r| r.body["event"] == "error") {
        panic!("the page reported an error: {}", error.body);
    }
    reports
        .iter()
        .find(|r| r.body["event"] == event && r.body["flags"][flag]["value"] == value)
        .cloned()
        .ok_or_else(|| format!("{:?}", reports.iter().map(|r| &r.body).collect::<Vec<_>>()))
}

#[tokio::test]
async fn the_web_sdk_on_another_origin_loads_flags_through_cors_and_sees_changes_by_itself() {
    let script = bundle().await;
    // Rollgate must know the page's origin (its CORS setting) before it starts, and the
    // page its key after: the page's server listens first and gets its page later.
    let page_server = PageServer::start().await;
    let server = Server::start_with(Options {
        env: vec![(
            "ROLLGATE_CORS__ALLOWED_ORIGINS".into(),
            page_server.origin.clone(),
        )],
        ..Options::default()
    })
    .await;
    assert_ne!(page_server.origin, server.url, "two origins");
    put_flag(&server, bool_flag("web-banner", "on", "off")).await;
    put_flag(&server, bool_flag("web-search", "off", "off")).await;
    let issued = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(
                json!({ "kind": "frontend", "environment": "production", "name": "web page",
                         "allowed_origins": [page_server.origin] }),
            ),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let key = issued.body["token"].as_str().unwrap();
    let context = json!({ "targetingKey": "visitor-1", "country": "NL" });
    let flags = ["web-banner", "web-search"];
    let config = json!({
        "url": server.url,
        "key": key,
        "context": context,
        "flags": flags.iter().map(|f| json!({ "key": f, "type": "boolean" })).collect::<Vec<_>>(),
    });
    page_server.set(page(&config), script);

    let profile = tempfile::tempdir().unwrap();
    let _browser =
        rollgate_e2e::chromium::open(&format!("{}/", page_server.origin), profile.path());
    let ready = wait::until(DEADLINE, "the page to load its flags", || async {
        reported(&page_server, "ready", "web-banner", true)
    })
    .await;
    // What the page got is what OFREP answers for its context.
    for flag in flags {
        let want = server.evaluate(key, flag, context.clone()).await;
        assert_eq!(want.status, StatusCode::OK);
        let got = &ready.body["flags"][flag];
        assert_eq!(got["errorCode"], Value::Null, "{flag}: {got}");
        assert_eq!(got["value"], want.body["value"], "{flag}: {got}");
        assert_eq!(got["variant"], want.body["variant"], "{flag}: {got}");
        assert_eq!(got["reason"], want.body["reason"], "{flag}: {got}");
    }

    // Turn the banner off through the admin API; nothing tells the page but the event
    // stream (the provider does not poll).
    let sent = Instant::now();
    put_flag(&server, bool_flag("web-banner", "off", "off")).await;
    let written = Instant::now();
    let changed = wait::until(DEADLINE, "the change to reach the page", || async {
        reported(&page_server, "changed", "web-banner", false)
    })
    .await;
    assert_eq!(
        changed.body["flags"]["web-banner"]["value"], false,
        "{}",
        changed.body
    );
    assert_eq!(changed.body["flags"]["web-search"]["value"], false);
    let flags_changed = changed.body["flagsChanged"].as_array();
    assert!(
        flags_changed.is_none_or(|keys| keys.iter().any(|k| k == "web-banner")),
        "{}",
        changed.body
    );
    println!(
        "web SDK: a change through the admin API reached the page on another origin {} ms after the admin API's 2xx ({} ms after the write was sent), as the page's ConfigurationChanged report",
        changed.at.saturating_duration_since(written).as_millis(),
        changed.at.saturating_duration_since(sent).as_millis(),
    );
}
