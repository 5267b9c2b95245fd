//! An open release page follows the release without a reload: a pause made through
//! the API (by someone else, or a script) shows on the page, and so does the resume.

use reqwest::Method;
use serde_json::json;

use super::support::Browser;
use crate::releases::support::{Desk, canary};

#[tokio::test]
async fn an_open_release_page_shows_a_pause_made_through_the_api_without_a_reload() {
    let desk = Desk::open().await;
    desk.flag("dash-live").await;
    let id = desk.approved(canary(&["dash-live"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;

    let browser = Browser::open(&desk.server.url).await;
    browser.sign_in(&desk.viewer).await;
    browser.visit(&format!("/releases/{id}")).await;
    browser.wait_text("#release-state", "running").await;
    // A marker on the document: a reload would lose it.
    browser
        .client
        .execute("window.__same_page = true;", vec![])
        .await
        .unwrap();

    let paused = desk
        .call(
            &desk.manager,
            Method::POST,
            &format!("/api/v1/releases/{id}/pause"),
            Some(json!({ "comment": "dashboard test" })),
        )
        .await;
    assert!(paused.status.is_success(), "{}", paused.body);
    browser.wait_text("#release-state", "paused").await;
    browser.wait_text("#timeline", "dashboard test").await;

    desk.must(&desk.manager, &id, "resume", json!({})).await;
    browser.wait_text("#release-state", "running").await;
    let same = browser
        .client
        .execute("return window.__same_page === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        same,
        json!(true),
        "the page updated in place, without a reload"
    );
    browser
        .assert_no_console_errors("the live release page")
        .await;
    browser.close().await;
}

/// Reads the stream until an event's `data:` satisfies `wanted`; returns that data.
async fn next_version(
    stream: &mut reqwest::Response,
    seen: &mut String,
    wanted: impl Fn(u64) -> bool,
) -> u64 {
    let within = super::support::PATIENCE;
    tokio::time::timeout(within, async {
        loop {
            for line in seen.lines() {
                if let Some(version) = line.strip_prefix("data: ")
                    && let Ok(version) = version.parse::<u64>()
                    && wanted(version)
                {
                    *seen = String::new();
                    return version;
                }
            }
            let chunk = stream.chunk().await.unwrap().expect("the stream goes on");
            seen.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no such event within {within:?}; read: {seen}"))
}

#[tokio::test]
async fn the_event_stream_says_each_new_version_and_ends_with_the_session() {
    let desk = Desk::open().await;
    desk.flag("dash-stream").await;
    let id = desk.approved(canary(&["dash-stream"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    let started = desk.release(&id).await["version"].as_u64().unwrap();
    let browser = Browser::open(&desk.server.url).await;
    browser.sign_in(&desk.viewer).await;
    let cookie = browser.session_cookie().await;
    browser.close().await;
    let url = format!("{}/releases/{id}/events", desk.server.url);
    let http = reqwest::Client::new();

    let refused = http.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);

    let mut stream = http
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut seen = String::new();
    let first = next_version(&mut stream, &mut seen, |_| true).await;
    assert_eq!(
        first, started,
        "the first event is the version when it opened"
    );

    desk.must(&desk.manager, &id, "pause", json!({})).await;
    let paused = desk.release(&id).await["version"].as_u64().unwrap();
    let next = next_version(&mut stream, &mut seen, |v| v > started).await;
    assert!(
        next > started && next <= paused,
        "{next} after {started}, up to {paused}"
    );

    // Past the session's idle expiry, the stream ends at its next heartbeat.
    desk.advance("31m").await;
    let ended = tokio::time::timeout(super::support::PATIENCE, async {
        while stream.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its session");
    let again = http
        .get(&url)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::UNAUTHORIZED);
}
