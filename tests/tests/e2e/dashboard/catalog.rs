//! The catalog's read pages as a viewer: segments and rings (paged), environments with
//! their release policy, a webhook with its delivery log, and the audit log paged
//! backwards by revision. Payloads in descriptions stay text, a viewer sees no form
//! that writes, and every page renders without a console error. And an evaluation on
//! a flag's page names the rule that matched.

use reqwest::Method;
use rollgate_e2e::Server;
use serde_json::json;

use super::support::{Browser, XSS};
use crate::releases::support::{Desk, canary, manual_clock};

#[tokio::test]
async fn a_viewer_reads_segments_environments_webhooks_and_the_audit_log() {
    let mut options = manual_clock();
    options.env.push((
        "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS".to_owned(),
        "localhost".to_owned(),
    ));
    let desk = Desk::around(Server::start_with(options).await).await;
    // More segments than a page holds: 55 of ours and the three rings.
    for n in 0..55 {
        let segment = desk
            .server
            .admin(
                Method::PUT,
                &format!("/api/v1/segments/dash-seg-{n:02}"),
                Some(
                    json!({ "description": format!("Segment {n} {XSS}"), "include": ["u1", "u2"] }),
                ),
            )
            .await;
        assert!(segment.status.is_success(), "{}", segment.body);
    }
    let policy = desk
        .server
        .admin(
            Method::PUT,
            "/api/v1/environments/dash-staging",
            Some(json!({ "description": format!("Staging {XSS}"),
                "release_policy": { "min_approvals": 2, "signoffs_required": ["product_manager"] } })),
        )
        .await;
    assert!(policy.status.is_success(), "{}", policy.body);
    let hook = desk
        .server
        .admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(
                json!({ "url": "http://localhost:9/hook", "events": ["started"],
                "description": format!("Nobody listens {XSS}") }),
            ),
        )
        .await;
    assert!(hook.status.is_success(), "{}", hook.body);
    let hook = hook.body["id"].as_str().unwrap().to_owned();
    desk.flag("dash-catalog").await;
    let rule = |country: &str, variant: &str| {
        json!({ "conditions": [ { "attribute": "country", "op": "in", "values": [country] } ],
                "serve": { "variant": variant } })
    };
    let ruled = desk
        .server
        .admin(
            Method::PUT,
            "/api/v1/flags/dash-ruled",
            Some(json!({ "variants": { "on": true, "off": false },
                "environments": { "production": { "enabled": true, "off_variant": "off",
                    "rules": [ rule("US", "on"), rule("NL", "on"), rule("NL", "off") ],
                    "default": { "variant": "off" } } } })),
        )
        .await;
    assert!(ruled.status.is_success(), "{}", ruled.body);
    let id = desk.approved(canary(&["dash-catalog"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;

    let viewer = Browser::open(&desk.server.url).await;
    viewer.sign_in(&desk.viewer).await;
    let pages = [
        ("segments", "/segments".to_owned(), "#segment-list"),
        (
            "environments",
            "/environments".to_owned(),
            "#environment-list",
        ),
        ("webhooks", "/webhooks".to_owned(), "#webhook-list"),
        ("webhook", format!("/webhooks/{hook}"), "#delivery-log"),
        ("audit", "/audit".to_owned(), "#audit-log"),
    ];
    for (name, path, landmark) in &pages {
        viewer.visit(path).await;
        viewer.find(landmark).await;
        viewer.check_page(name).await;
        assert!(
            !viewer.has("main form[method=post]").await,
            "{name}: a viewer is offered no write"
        );
        viewer.screenshot(name, 1280).await;
        viewer.screenshot(name, 375).await;
        viewer.assert_no_console_errors(name).await;
    }

    // Segments: the rings are marked; the second page holds the rest.
    viewer.visit("/segments").await;
    viewer.wait_text("#segment-alpha", "ring").await;
    viewer
        .wait_text("#segment-list", "Segment 0 <script>")
        .await;
    assert!(!viewer.text("#segment-list").await.contains("dash-seg-54"));
    viewer.click("a[rel=next]").await;
    viewer.wait_text("#segment-list", "dash-seg-54").await;

    // The environment's policy, in words.
    viewer.visit("/environments").await;
    let staging = viewer.text("#environment-dash-staging").await;
    assert!(
        staging.contains('2') && staging.contains("product_manager"),
        "{staging}"
    );
    viewer
        .wait_text("#environment-list", "Staging <script>")
        .await;

    // The webhook's delivery log shows the start's delivery and its attempt.
    viewer.visit(&format!("/webhooks/{hook}")).await;
    let row = format!("#delivery-log a[href='/releases/{id}']");
    viewer.find(&row).await;
    viewer.wait_text("#delivery-log", "started").await;

    // The audit log: newest first, filtered by kind, paged backwards.
    viewer.visit("/audit?kind=segment").await;
    viewer.wait_text("#audit-log", "dash-seg-54").await;
    assert!(!viewer.text("#audit-log").await.contains("dash-seg-00"));
    viewer.click("a[rel=next]").await;
    viewer.wait_text("#audit-log", "dash-seg-00").await;
    assert!(!viewer.text("#audit-log").await.contains("dash-seg-54"));
    viewer.visit("/audit?kind=release").await;
    viewer.wait_text("#audit-log", &id).await;
    viewer.assert_no_console_errors("paging").await;

    // Evaluating a flag names the rule that matched: the first that does.
    viewer.visit("/flags/dash-ruled").await;
    viewer
        .set_value("#context", r#"{"targetingKey": "u-1", "country": "NL"}"#)
        .await;
    viewer.click("#evaluate-button").await;
    let matched = viewer.wait_text("#matched-rule", "rule 2 of 3").await;
    assert!(matched.contains("NL"), "{matched}");
    viewer.wait_text("#evaluation", "TARGETING_MATCH").await;
    viewer
        .set_value("#context", r#"{"targetingKey": "u-1", "country": "FR"}"#)
        .await;
    viewer.click("#evaluate-button").await;
    viewer.wait_text("#evaluation", "DEFAULT").await;
    assert!(!viewer.has("#matched-rule").await, "no rule matched");
    viewer.assert_no_console_errors("evaluate").await;
    viewer.close().await;
}
