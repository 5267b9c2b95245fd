//! A whole release by clicks, with two people: the manager writes the plan in the
//! editor (a broken one first: its errors show on their fields) and submits it, the
//! approver approves it, the manager ticks the checklist, previews and starts it,
//! promotes it twice, sets a percentage and rolls it back with a reason (a blank one
//! first: refused on its field). After each step OFREP shows, user by user, the
//! exposure the page claims. Every free-text field carries a script payload, which
//! stays text.

use serde_json::json;

use super::support::{Browser, XSS};
use crate::releases::support::{Desk, User, observe, stratified};

const FLAG: &str = "dash-checkout";

fn plan(stage_percent: u32) -> serde_json::Value {
    json!({
        "name": format!("Checkout {XSS}"),
        "release_version": "3.0.0",
        "environment": "production",
        "flags": [ { "key": FLAG, "variant": "on" } ],
        "stages": [
            { "audience": "alpha", "percent": 100 },
            { "audience": "beta", "percent": 100 },
            { "audience": "general", "percent": stage_percent },
            { "audience": "general", "percent": 100 }
        ],
        "approvals_required": 1,
        "checklist": [ { "item": format!("Runbook {XSS}"), "owner": "ops" } ],
        "notes": format!("Notes {XSS}")
    })
}

/// Checks, user by user, that OFREP serves `on` to exactly the users the stage reaches:
/// every alpha user when `alpha`, every beta user when `beta`, and the general users
/// whose bucket is below `general` % of 10 000.
async fn assert_exposure(
    desk: &Desk,
    users: &[User],
    step: &str,
    (alpha, beta, general): (bool, bool, f64),
) {
    let seen = observe(&desk.server, &desk.sdk, users, &[FLAG], false).await;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0..=100"
    )]
    let weight = (general * 100.0).round() as u16;
    for (user, now) in users.iter().zip(&seen) {
        let expected = match user.ring {
            Some("alpha") => alpha,
            Some(_) => beta,
            None => user.bucket.is_some_and(|b| b < weight),
        };
        assert_eq!(
            now.exposed, expected,
            "{step}: {} ({:?}, bucket {:?})",
            user.key, user.ring, user.bucket
        );
    }
}

#[tokio::test]
async fn two_people_run_a_release_by_clicks_and_ofrep_shows_what_the_page_says() {
    let desk = Desk::open().await;
    desk.flag(FLAG).await;
    let manager = Browser::open(&desk.server.url).await;
    let approver = Browser::open(&desk.server.url).await;
    manager.sign_in(&desk.manager).await;
    approver.sign_in(&desk.approver).await;

    // The plan editor: a broken plan shows each error on its field, and nothing is created.
    manager.visit("/releases/new").await;
    manager.set_value("#plan", &plan(150).to_string()).await;
    manager.click("#save-plan").await;
    let error = manager
        .wait_text(".field-error[data-field^='stages']", "stages")
        .await;
    assert!(error.contains("stages[2]"), "{error}");
    manager.assert_refused_with("a broken plan", 422).await;
    assert_eq!(
        manager
            .find("#plan")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        plan(150).to_string(),
        "what was typed is kept"
    );
    let listed = desk
        .call(
            &desk.manager,
            reqwest::Method::GET,
            "/api/v1/releases",
            None,
        )
        .await;
    assert_eq!(listed.body, json!([]), "nothing half-written");
    manager.set_value("#plan", &plan(20).to_string()).await;
    manager.click("#save-plan").await;
    manager.wait_text("#release-state", "draft").await;
    let path = manager.path().await;
    let id = path.trim_start_matches("/releases/").to_owned();
    assert!(id.starts_with("rel-"), "{path}");
    manager.check_page("release page").await;
    assert!(
        manager.text("#release-name").await.contains("<script>"),
        "the name shows as text"
    );
    assert!(
        manager.text("#notes").await.contains("onerror"),
        "the notes show as text"
    );

    manager.click("#submit").await;
    manager
        .wait_text("#release-state", "pending_approval")
        .await;
    assert!(
        !manager.has("#approve").await,
        "four eyes: the author has no approve button"
    );

    // The other person sees it waiting on their overview, and approves.
    approver.visit("/").await;
    approver.wait_text("#awaiting-approval", "Checkout").await;
    approver.visit(&format!("/releases/{id}")).await;
    approver
        .fill("#approve-comment", &format!("fine {XSS}"))
        .await;
    approver.click("#approve").await;
    approver.wait_text("#release-state", "approved").await;
    approver.wait_text("#approvals", "fine <script>").await;
    approver.check_page("approved release").await;

    // Users stratified by bucket under the release's salt (its id): every fifth bucket.
    let users: Vec<User> = stratified(0xda5b_0a2d, &id, 1, 100, 100)
        .into_iter()
        .enumerate()
        .filter(|(i, u)| u.ring.is_some() || i % 5 == 0)
        .map(|(_, u)| u)
        .collect();
    assert_exposure(&desk, &users, "before the start", (false, false, 0.0)).await;

    // The manager ticks the checklist, previews the start and starts.
    manager.visit(&format!("/releases/{id}")).await;
    manager.click("#tick-0").await;
    manager.wait_text("#checklist", "☑").await;
    manager.click("#preview-start").await;
    manager.wait_path(&format!("/releases/{id}/start")).await;
    manager.wait_text("#preview", FLAG).await;
    for checkbox in manager
        .client
        .find_all(fantoccini::Locator::Css("input[name=acknowledge]"))
        .await
        .unwrap()
    {
        checkbox.click().await.unwrap();
    }
    manager.click("#start").await;
    manager.wait_text("#release-state", "running").await;
    manager
        .wait_text("#position", "stage 1 of 4: alpha at 100 %")
        .await;
    assert_exposure(&desk, &users, "alpha", (true, false, 0.0)).await;

    manager.click("#promote").await;
    manager
        .wait_text("#position", "stage 2 of 4: beta at 100 %")
        .await;
    assert_exposure(&desk, &users, "beta", (true, true, 0.0)).await;

    manager.click("#promote").await;
    manager
        .wait_text("#position", "stage 3 of 4: general at 20 %")
        .await;
    assert_exposure(&desk, &users, "general 20 %", (true, true, 20.0)).await;

    manager.fill("#percent", "35").await;
    manager.click("#set-percent").await;
    manager
        .wait_text("#position", "stage 3 of 4: general at 35 %")
        .await;
    assert_exposure(&desk, &users, "general 35 %", (true, true, 35.0)).await;

    // A rollback needs a reason: a blank one is refused on its field, nothing changes.
    manager.fill("#rollback-reason", "   ").await;
    manager.click("#rollback").await;
    manager
        .wait_text(".field-error[data-field='reason']", "required")
        .await;
    manager.assert_refused_with("a blank reason", 422).await;
    assert_eq!(desk.release(&id).await["state"], "running");
    manager
        .fill("#rollback-reason", &format!("error rate {XSS}"))
        .await;
    manager.click("#rollback").await;
    manager.wait_text("#release-state", "rolled_back").await;
    manager.wait_text("#timeline", "error rate <script>").await;
    assert_exposure(&desk, &users, "rolled back", (false, false, 0.0)).await;
    manager.check_page("rolled back").await;
    manager
        .assert_no_console_errors("the release by clicks")
        .await;
    approver
        .assert_no_console_errors("the approver's pages")
        .await;

    let stored = desk.release(&id).await;
    let approvals = stored["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["by"]["name"], "approver");
    manager.close().await;
    approver.close().await;
}
