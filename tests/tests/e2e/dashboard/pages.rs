//! Every page, as an admin: it renders without a console error, shows script payloads
//! (in a flag's description, a release's name, an incident) as text, and is
//! photographed at 1280 and 375 px. Then the flag page's writes: two tabs set one
//! flag's rollout — the second meets the conflict, sees the newer version and keeps
//! what it typed — a version is restored from the history, an evaluation is shown,
//! and a new token's secret is shown once.

use reqwest::Method;
use rollgate_e2e::ADMIN_TOKEN;
use serde_json::{Value, json};

use super::support::{Browser, XSS};
use crate::releases::support::{Desk, canary};

const FLAG: &str = "dash-banner";

/// The flag's rollout in production, as the API reads it.
async fn rollout(desk: &Desk) -> Value {
    let flag = desk
        .server
        .admin(Method::GET, &format!("/api/v1/flags/{FLAG}"), None)
        .await;
    flag.body["environments"]["production"]["default"]["rollout"].clone()
}

#[tokio::test]
async fn every_page_renders_cleanly_and_the_flag_page_keeps_what_was_typed() {
    let desk = Desk::open().await;
    let created = desk
        .server
        .admin(
            Method::PUT,
            &format!("/api/v1/flags/{FLAG}"),
            Some(json!({
                "description": format!("Banner {XSS}"),
                "variants": { "on": true, "off": false },
                "environments": { "production": {
                    "enabled": true, "off_variant": "off",
                    "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } } }
            })),
        )
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    desk.flag("dash-checkout").await;
    let running = desk.approved(canary(&["dash-checkout"])).await;
    desk.must(&desk.manager, &running, "start", json!({})).await;
    desk.must(&desk.manager, &running, "promote", json!({}))
        .await;
    desk.must(
        &desk.manager,
        &running,
        "incidents",
        json!({ "what": format!("Latency {XSS}"), "action": "watched" }),
    )
    .await;
    desk.flag("dash-next").await;
    let mut plan = canary(&["dash-next"]);
    plan["name"] = json!(format!("Search {XSS}"));
    let approved = desk.approved(plan).await;

    let admin = Browser::open(&desk.server.url).await;
    admin.sign_in(ADMIN_TOKEN).await;
    let pages = [
        ("overview", "/".to_owned(), "#in-flight"),
        ("releases", "/releases".to_owned(), "#release-list"),
        ("release", format!("/releases/{running}"), "#timeline"),
        ("start", format!("/releases/{approved}/start"), "#preview"),
        ("plan-editor", "/releases/new".to_owned(), "#plan"),
        (
            "flags",
            "/flags?environment=production".to_owned(),
            "#flag-list",
        ),
        ("flag", format!("/flags/{FLAG}"), "#history"),
        ("tokens", "/tokens".to_owned(), "#token-list"),
    ];
    for (name, path, landmark) in &pages {
        admin.visit(path).await;
        admin.find(landmark).await;
        admin.check_page(name).await;
        admin.screenshot(name, 1280).await;
        admin.screenshot(name, 375).await;
        admin.assert_no_console_errors(name).await;
    }
    admin.visit("/").await;
    admin.wait_text("#incidents", "Latency <script>").await;
    admin.visit("/releases").await;
    admin.wait_text("#release-list", "Search <script>").await;
    admin.visit(&format!("/flags/{FLAG}")).await;
    admin
        .wait_text("#flag-description", "Banner <script>")
        .await;

    // The release page links to its validation report, served to the session.
    admin.visit(&format!("/releases/{running}")).await;
    admin.click("a[href$='/report']").await;
    admin
        .wait_path(&format!("/releases/{running}/report"))
        .await;
    admin.wait_text("body", "Checkout v2").await;

    // Searching and paging: the search finds the flag by its description.
    admin.visit("/flags?environment=production&q=banner").await;
    admin.wait_text("#flag-list", FLAG).await;
    admin
        .visit("/flags?environment=production&q=nothing-like-this")
        .await;
    assert!(!admin.text("#flag-list").await.contains(FLAG));

    // Two tabs on one flag: the first write wins, the second shows the newer version
    // and keeps what was typed; sent again, it lands.
    let other = Browser::open(&desk.server.url).await;
    other.sign_in(ADMIN_TOKEN).await;
    admin.visit(&format!("/flags/{FLAG}")).await;
    other.visit(&format!("/flags/{FLAG}")).await;
    admin.fill("#rollout-production", "30").await;
    admin.click("#set-rollout-production").await;
    admin.wait_text("#env-production", "rollout 30 %").await;
    other.fill("#rollout-production", "40").await;
    other.click("#set-rollout-production").await;
    other.wait_text("#conflict", "40").await;
    other.assert_refused_with("a stale version", 412).await;
    other.wait_text("#env-production h2", "rollout 30 %").await;
    let kept = other
        .find("#rollout-production")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("40"), "what was typed is kept");
    assert_eq!(
        rollout(&desk).await[0]["weight"],
        3000,
        "the second write changed nothing"
    );
    other.click("#set-rollout-production").await;
    other.wait_text("#env-production h2", "rollout 40 %").await;
    assert_eq!(rollout(&desk).await[0]["weight"], 4000);

    // The history shows before → after; restoring the 30 % version is a new write.
    other.wait_text("#history", "\"weight\": 3000").await;
    let restore = other
        .client
        .find_all(fantoccini::Locator::Css("#history button[id^=restore-]"))
        .await
        .unwrap();
    assert!(restore.len() >= 2, "older versions can be restored");
    // Newest first, and the current version has no button: the first is the 30 % write.
    restore[0].click().await.unwrap();
    other.wait_text("#env-production h2", "rollout 30 %").await;
    assert_eq!(rollout(&desk).await[0]["weight"], 3000);
    let audit = desk
        .server
        .admin(
            Method::GET,
            &format!("/api/v1/audit?kind=flag&key={FLAG}&limit=1"),
            None,
        )
        .await;
    let entry = &audit.body[0];
    assert_eq!(entry["action"], "flag.put", "a new, audited write: {entry}");
    assert_eq!(
        entry["before"]["environments"]["production"]["default"]["rollout"][0]["weight"],
        4000
    );
    assert_eq!(
        entry["after"]["environments"]["production"]["default"]["rollout"][0]["weight"],
        3000
    );

    // Evaluating for a context shows value, variant and reason.
    other
        .fill("#context", r#"{"targetingKey": "user-7"}"#)
        .await;
    other.click("#evaluate-button").await;
    let evaluation = other.wait_text("#evaluation", "SPLIT").await;
    assert!(
        evaluation.contains("on") || evaluation.contains("off"),
        "{evaluation}"
    );

    // A new token's secret is shown once.
    admin.visit("/tokens").await;
    admin.fill("#token-name", "dash-ci").await;
    admin.click("#create-token").await;
    let secret = admin.text("#secret").await;
    assert!(secret.starts_with("rg_adm_"), "{secret}");
    admin.visit("/tokens").await;
    admin.find("#token-list").await;
    assert!(!admin.has("#secret").await, "shown once");
    let source = admin.client.source().await.unwrap();
    assert!(
        !source.contains(&secret),
        "the secret is not on the page again"
    );
    admin.assert_no_console_errors("flag and token pages").await;
    other.assert_no_console_errors("the second tab").await;
    other.close().await;
    admin.close().await;
}
