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
