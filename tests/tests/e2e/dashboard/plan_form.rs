//! The plan editor's form: a release manager fills in the parts of a plan as fields; a
//! mistake comes back on its field with everything typed still there and nothing
//! created; corrected, the plan is what the form said; edited again through the form,
//! a row cleared is dropped and what the form does not show is kept.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Browser, XSS};
use crate::releases::support::Desk;

/// The release as the API reads it (its plan's fields at the top).
async fn plan_of(desk: &Desk, id: &str) -> Value {
    desk.release(id).await
}

/// Picks `value` in the select at `css`.
async fn choose(browser: &Browser, css: &str, value: &str) {
    browser.find(css).await;
    browser
        .client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_plan_written_in_the_form_shows_each_error_on_its_field() {
    let desk = Desk::open().await;
    desk.flag("dash-form").await;
    let manager = Browser::open(&desk.server.url).await;
    manager.sign_in(&desk.manager).await;
    manager.visit("/releases/new").await;
    manager.click("#use-form").await;
    manager.wait_path("/releases/new/form").await;

    let name = format!("Form release {XSS}");
    manager.set_value("#f-name", &name).await;
    manager.fill("#f-flags-0--key", "dash-form").await;
    manager.fill("#f-stages-1--percent", "150").await;
    manager
        .fill("#f-checklist-1--item", "Support briefed")
        .await;
    manager.fill("#f-checklist-1--owner", "support").await;
    manager
        .fill("#f-risks-0--description", "Slow payments")
        .await;
    choose(&manager, "#f-risks-0--likelihood", "low").await;
    choose(&manager, "#f-risks-0--impact", "high").await;
    manager.fill("#f-risks-0--mitigation", "Roll back").await;
    manager
        .fill("#f-announcement-title", "A faster checkout")
        .await;
    manager.click("#save-plan-form").await;

    let error = manager
        .wait_text("p.field-error[data-field='stages[1].percent']", "")
        .await;
    assert!(!error.is_empty(), "the percent's error is on its field");
    manager.assert_refused_with("a percent over 100", 422).await;
    assert_eq!(
        manager
            .find("#f-stages-1--percent")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        "150",
        "what was typed is kept"
    );
    assert_eq!(
        manager
            .find("#f-name")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap(),
        name
    );
    manager.check_page("plan form with an error").await;
    let listed = desk
        .call(&desk.manager, Method::GET, "/api/v1/releases", None)
        .await;
    assert_eq!(listed.body, json!([]), "nothing half-written");

    manager.fill("#f-stages-1--percent", "100").await;
    manager.click("#save-plan-form").await;
    rollgate_e2e::wait::until(super::support::PATIENCE, "the draft's page", || async {
        if manager.has("#release-state").await {
            return Ok(());
        }
        let refused = manager
            .client
            .execute(
                "return Array.from(document.querySelectorAll('.field-error')).map(e => (e.getAttribute('data-field') || '') + ' ' + e.textContent);",
                vec![],
            )
            .await
            .unwrap();
        Err(refused.to_string())
    })
    .await;
    manager.wait_text("#release-state", "draft").await;
    let id = manager
        .path()
        .await
        .trim_start_matches("/releases/")
        .to_owned();
    let plan = plan_of(&desk, &id).await;
    assert_eq!(plan["name"], json!(name));
    assert_eq!(
        plan["flags"],
        json!([ { "key": "dash-form", "variant": "on" } ])
    );
    assert_eq!(plan["stages"][1]["percent"].as_f64(), Some(100.0));
    assert_eq!(plan["checklist"][1]["item"], "Support briefed");
    assert_eq!(plan["checklist"][1]["owner"], "support");
    assert_eq!(plan["risks"][0]["likelihood"], "low");
    assert_eq!(plan["risks"][0]["impact"], "high");
    assert_eq!(plan["announcement"]["title"], "A faster checkout");
    assert!(manager.text("#release-name").await.contains("<script>"));

    // Through the form again: the first stage cleared is dropped; the rest is kept.
    manager.visit(&format!("/releases/{id}/edit/form")).await;
    manager.check_page("plan form of a draft").await;
    manager.fill("#f-stages-0--audience", "").await;
    manager.fill("#f-stages-0--percent", "").await;
    manager.click("#save-plan-form").await;
    manager.wait_path(&format!("/releases/{id}")).await;
    let edited = plan_of(&desk, &id).await;
    let stages = edited["stages"].as_array().unwrap();
    assert_eq!(stages.len(), plan["stages"].as_array().unwrap().len() - 1);
    assert_eq!(stages[0], plan["stages"][1]);
    assert_eq!(edited["risks"], plan["risks"]);
    manager.assert_no_console_errors("the form editor").await;
    manager.close().await;
}
