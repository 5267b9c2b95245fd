//! Writes the page did not offer are refused by the server anyway: a viewer sees no
//! action buttons, and the same form forged with their valid session is refused by the
//! role check; a form without the session's anti-forgery token, with another session's,
//! or sent from another origin is refused before any service runs. The release stays
//! as it was through all of it, and a form sent twice changes nothing the second time.

use reqwest::StatusCode;
use serde_json::json;

use super::support::Browser;
use crate::releases::support::{Desk, canary};

/// Posts `form` to `path` as the browser's session, with `origin` (or none).
async fn post(
    browser: &Browser,
    cookie: &str,
    path: &str,
    origin: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(format!("{}{path}", browser.base))
        .header("Cookie", cookie)
        .form(form);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status();
    (status, answer.text().await.unwrap())
}

#[tokio::test]
async fn a_viewer_gets_no_buttons_and_forged_or_cross_site_forms_are_refused() {
    let desk = Desk::open().await;
    desk.flag("dash-guarded").await;
    let id = desk.approved(canary(&["dash-guarded"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    let version = desk.release(&id).await["version"].clone();
    let version = version.to_string();

    // The viewer: no action on the page, and the forged form is refused by the role.
    let viewer = Browser::open(&desk.server.url).await;
    viewer.sign_in(&desk.viewer).await;
    viewer.visit(&format!("/releases/{id}")).await;
    viewer.wait_text("#release-state", "running").await;
    assert!(!viewer.has("#actions").await, "a viewer sees no actions");
    assert!(!viewer.has("form[action*='/act/']").await);
    let cookie = viewer.session_cookie().await;
    let token = viewer.form_token().await;
    let origin = viewer.base.clone();
    let path = format!("/releases/{id}/act/rollback");
    let (status, body) = post(
        &viewer,
        &cookie,
        &path,
        Some(&origin),
        &[
            ("csrf", &token),
            ("version", &version),
            ("reason", "forged"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("release_manager"),
        "the refusal names the role: {body}"
    );

    // A release manager's session: without the token, with another session's, from
    // another origin, or naming no origin at all, the form is refused.
    let manager = Browser::open(&desk.server.url).await;
    manager.sign_in(&desk.manager).await;
    manager.visit(&format!("/releases/{id}")).await;
    manager.wait_text("#release-state", "running").await;
    assert!(
        manager.has("#rollback").await,
        "a release manager has the button"
    );
    let cookie = manager.session_cookie().await;
    let own = manager.form_token().await;
    let attempts: [(&str, Option<&str>, &str); 4] = [
        ("no anti-forgery token", Some(&origin), ""),
        ("the viewer's token", Some(&origin), &token),
        ("another origin", Some("http://evil.example"), &own),
        ("no origin", None, &own),
    ];
    for (what, origin, csrf) in attempts {
        let (status, body) = post(
            &manager,
            &cookie,
            &path,
            origin,
            &[("csrf", csrf), ("version", &version), ("reason", "forged")],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
    }
    let stored = desk.release(&id).await;
    assert_eq!(stored["state"], "running", "nothing was rolled back");
    assert_eq!(
        stored["version"].to_string(),
        version,
        "nothing was written"
    );

    // The same form, well formed, from the page's origin, works; sent twice, it names
    // a version that is gone, so the second changes nothing.
    let form = [
        ("csrf", own.as_str()),
        ("version", &version),
        ("reason", "real"),
    ];
    let mut answers = Vec::new();
    for _ in 0..2 {
        answers.push(post(&manager, &cookie, &path, Some(&origin), &form).await);
        answers.push((StatusCode::OK, desk.release(&id).await.to_string()));
    }
    assert_eq!(answers[0].0, StatusCode::SEE_OTHER, "{}", answers[0].1);
    assert!(
        answers[1].1.contains("\"state\":\"rolled_back\""),
        "{}",
        answers[1].1
    );
    assert_eq!(
        answers[2].0,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        answers[2].1
    );
    assert_eq!(answers[3].1, answers[1].1, "a double submit is harmless");
    viewer.assert_no_console_errors("viewer").await;
    manager.close().await;
    viewer.close().await;
}
