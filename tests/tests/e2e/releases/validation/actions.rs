//! Release actions refuse bad requests — an unknown action, a percentage out of range
//! or lower than the current one, a rollback without a reason, wrong types and unknown
//! fields, a checklist item out of range, an incident without what or action, an action
//! the state forbids — with the field at fault, and change nothing; a viewer may not
//! act, and an unknown release is a 404.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::super::support::{Desk, canary};
use super::expect;

#[tokio::test]
async fn actions_refuse_bad_bodies_with_the_field_and_change_nothing() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    desk.must(&desk.manager, &id, "promote", json!({})).await;
    desk.must(&desk.manager, &id, "promote", json!({})).await;
    let before = desk.release(&id).await;
    assert_eq!(before["current_percent"], 1);
    let cases: Vec<(&str, &str, Value, StatusCode, Option<&str>)> = vec![
        (
            "unknown action",
            "launch",
            json!({}),
            StatusCode::NOT_FOUND,
            Some("action"),
        ),
        (
            "percent zero",
            "percent",
            json!({ "percent": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("percent"),
        ),
        (
            "percent too high",
            "percent",
            json!({ "percent": 150 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("percent"),
        ),
        (
            "percent three decimals",
            "percent",
            json!({ "percent": 1.234 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("percent"),
        ),
        (
            "percent as text",
            "percent",
            json!({ "percent": "ten" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("percent"),
        ),
        (
            "percent missing",
            "percent",
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "percent down",
            "percent",
            json!({ "percent": 50 }),
            StatusCode::OK,
            None,
        ),
        (
            "percent below current",
            "percent",
            json!({ "percent": 40 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("percent"),
        ),
        (
            "rollback without reason",
            "rollback",
            json!({ "reason": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("reason"),
        ),
        (
            "comment of the wrong type",
            "pause",
            json!({ "comment": 7 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("comment"),
        ),
        (
            "unknown body field",
            "pause",
            json!({ "why": "x" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("why"),
        ),
        (
            "checklist out of range",
            "checklist/5",
            json!({ "done": true }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("checklist[5]"),
        ),
        (
            "checklist done as text",
            "checklist/0",
            json!({ "done": "yes" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("done"),
        ),
        (
            "checklist index not a number",
            "checklist/first",
            json!({ "done": true }),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "incident without what",
            "incidents",
            json!({ "what": "", "action": "paged" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("what"),
        ),
        (
            "incident without action",
            "incidents",
            json!({ "what": "errors" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("action"),
        ),
        (
            "cancel while running",
            "cancel",
            json!({}),
            StatusCode::CONFLICT,
            Some("state"),
        ),
        (
            "approve while running",
            "approve",
            json!({}),
            StatusCode::CONFLICT,
            Some("state"),
        ),
    ];
    for (case, action, body, status, field) in cases {
        let reply = desk.act(&desk.approver, &id, action, body).await;
        if status == StatusCode::OK {
            assert_eq!(reply.status, status, "{case}: {}", reply.body);
            continue;
        }
        expect(&reply, status, field, case);
    }
    let after = desk.release(&id).await;
    assert_eq!(after["current_percent"], 50);
    assert_eq!(
        after["timeline"].as_array().unwrap().len(),
        before["timeline"].as_array().unwrap().len() + 1,
        "only the one valid action is on the timeline"
    );
    let viewer = desk.act(&desk.viewer, &id, "pause", json!({})).await;
    expect(&viewer, StatusCode::FORBIDDEN, None, "viewer pauses");
    let unknown = desk
        .act(&desk.manager, "rel-missing", "pause", json!({}))
        .await;
    expect(&unknown, StatusCode::NOT_FOUND, None, "unknown release");
}
