//! Every mistake in a plan, on create and replace, is a 422 naming its field (and
//! path), and nothing is written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::support::{Desk, canary};
use super::{expect, with};

#[tokio::test]
async fn every_mistake_in_a_plan_is_named_by_its_field() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let plan = canary(&["new-checkout"]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown audience",
            with(plan.clone(), |p| {
                p["stages"][1]["audience"] = json!("gamma")
            }),
            "stages[1].audience",
        ),
        (
            "percent going down",
            with(plan.clone(), |p| p["stages"][4]["percent"] = json!(5)),
            "stages[4].percent",
        ),
        (
            "percent above 100",
            with(plan.clone(), |p| p["stages"][3]["percent"] = json!(101)),
            "stages[3].percent",
        ),
        (
            "percent zero",
            with(plan.clone(), |p| p["stages"][2]["percent"] = json!(0)),
            "stages[2].percent",
        ),
        (
            "start in the past",
            with(plan.clone(), |p| {
                p["schedule"] = json!({ "start_at": "2029-12-31T23:59:00Z" })
            }),
            "schedule.start_at",
        ),
        (
            "unknown flag",
            with(plan.clone(), |p| p["flags"][0]["key"] = json!("nope")),
            "flags[0].key",
        ),
        (
            "unknown variant",
            with(plan.clone(), |p| p["flags"][0]["variant"] = json!("blue")),
            "flags[0].variant",
        ),
        (
            "releasing control",
            with(plan.clone(), |p| p["flags"][0]["variant"] = json!("off")),
            "flags[0].variant",
        ),
        (
            "unknown environment",
            with(plan.clone(), |p| p["environment"] = json!("staging")),
            "environment",
        ),
        (
            "typo in a field",
            with(plan.clone(), |p| p["stages"][0]["bakee"] = json!("1m")),
            "stages[0].bakee",
        ),
        (
            "bad duration",
            with(plan.clone(), |p| p["stages"][0]["bake"] = json!("0s")),
            "stages[0].bake",
        ),
        (
            "bad semver",
            with(plan.clone(), |p| p["release_version"] = json!("two")),
            "release_version",
        ),
        (
            "bad strategy",
            with(plan.clone(), |p| p["strategy"] = json!("yolo")),
            "strategy",
        ),
        (
            "ramped without bake",
            with(plan.clone(), |p| {
                p["strategy"] = json!("ramped");
                p["stages"][2].as_object_mut().unwrap().remove("bake");
            }),
            "stages[2].bake",
        ),
        (
            "check without total",
            with(
                plan.clone(),
                |p| p["analysis"] = json!({ "interval": "1s", "checks": [ { "name": "errors", "kind": "ratio", "errors": "x" } ] }),
            ),
            "analysis.checks[0].total",
        ),
        (
            "unknown placeholder",
            with(
                plan.clone(),
                |p| p["analysis"] = json!({ "interval": "1s", "checks": [ { "name": "p99", "kind": "value", "query": "{{service}}" } ] }),
            ),
            "analysis.checks[0].query",
        ),
        (
            "risk level",
            with(plan.clone(), |p| p["risks"][0]["impact"] = json!("huge")),
            "risks[0].impact",
        ),
        (
            "empty checklist item",
            with(plan.clone(), |p| p["checklist"][0]["item"] = json!("")),
            "checklist[0].item",
        ),
        (
            "no stages",
            with(plan.clone(), |p| p["stages"] = json!([])),
            "stages",
        ),
    ];
    for (case, body, field) in cases {
        let reply = desk
            .call(&desk.manager, Method::POST, "/api/v1/releases", Some(body))
            .await;
        expect(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(field), case);
    }
    let malformed = desk
        .server
        .call(
            desk.server
                .request(Method::POST, "/api/v1/releases", Some(&desk.manager))
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    expect(&malformed, StatusCode::BAD_REQUEST, None, "malformed JSON");
    let text = desk
        .server
        .call(
            desk.server
                .request(Method::POST, "/api/v1/releases", Some(&desk.manager))
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    expect(
        &text,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Some("Content-Type"),
        "text body",
    );
    let viewer = desk
        .call(
            &desk.viewer,
            Method::POST,
            "/api/v1/releases",
            Some(plan.clone()),
        )
        .await;
    expect(&viewer, StatusCode::FORBIDDEN, None, "viewer creates");
    let anonymous = desk
        .server
        .call(desk.server.request(Method::GET, "/api/v1/releases", None))
        .await;
    expect(&anonymous, StatusCode::UNAUTHORIZED, None, "no token");
    let missing = desk
        .call(&desk.viewer, Method::GET, "/api/v1/releases/rel-nope", None)
        .await;
    expect(&missing, StatusCode::NOT_FOUND, None, "unknown release");
    let listed = desk
        .call(
            &desk.viewer,
            Method::GET,
            "/api/v1/releases?state=sleeping",
            None,
        )
        .await;
    expect(
        &listed,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("state"),
        "bad filter",
    );
    let none = desk
        .call(&desk.viewer, Method::GET, "/api/v1/releases", None)
        .await;
    assert_eq!(none.body, json!([]), "no refused plan was stored");
}
