//! Bad input on every release, webhook and test-clock endpoint: a 4xx naming the field,
//! never a 5xx and never a half-applied write; stale versions answer 412; roles and the
//! four-eyes rule hold; revising what ships sends an approved plan back for approval.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::{Value, json};

use super::support::{Desk, admin, canary};

/// Asserts `status` and, when given, the problem's `field`.
fn expect(reply: &rollgate_e2e::Reply, status: StatusCode, field: Option<&str>, case: &str) {
    assert_eq!(reply.status, status, "{case}: {}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{case}"
    );
    if let Some(field) = field {
        assert_eq!(reply.body["field"], field, "{case}: {}", reply.body);
    }
}

fn with(mut plan: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut plan);
    plan
}

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

#[tokio::test]
async fn stale_versions_answer_412_and_concurrent_promotes_apply_once() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    let started = desk.must(&desk.manager, &id, "start", json!({})).await;
    let version = started["version"].as_u64().unwrap();
    let promote = |token: String| {
        let request = desk
            .server
            .request(
                Method::POST,
                &format!("/api/v1/releases/{id}/promote"),
                Some(&token),
            )
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({}));
        desk.server.call(request)
    };
    let (a, b) = tokio::join!(
        promote(desk.manager.clone()),
        promote(desk.approver.clone())
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
        "{} / {}",
        a.body,
        b.body
    );
    assert_eq!(
        desk.release(&id).await["current_stage"],
        1,
        "promoted exactly once"
    );
    let stale = desk
        .server
        .call(
            desk.server
                .request(
                    Method::POST,
                    &format!("/api/v1/releases/{id}/pause"),
                    Some(&desk.manager),
                )
                .header("If-Match", format!("\"{version}\""))
                .json(&json!({})),
        )
        .await;
    expect(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        Some("If-Match"),
        "stale action",
    );
    assert_eq!(stale.body["current_version"], version + 1);
    let bad = desk
        .server
        .call(
            desk.server
                .request(
                    Method::POST,
                    &format!("/api/v1/releases/{id}/pause"),
                    Some(&desk.manager),
                )
                .header("If-Match", "yesterday")
                .json(&json!({})),
        )
        .await;
    expect(
        &bad,
        StatusCode::BAD_REQUEST,
        Some("If-Match"),
        "unreadable If-Match",
    );
}

#[tokio::test]
async fn replacing_a_plan_needs_its_version_and_resets_approvals_only_for_what_ships() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    desk.flag("one-click-pay").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    let current = desk.release(&id).await;
    let version = current["version"].as_u64().unwrap();
    let put = |body: Value, version: Option<u64>| {
        let mut request = desk
            .server
            .request(
                Method::PUT,
                &format!("/api/v1/releases/{id}"),
                Some(&desk.manager),
            )
            .json(&body);
        if let Some(v) = version {
            request = request.header("If-Match", format!("\"{v}\""));
        }
        desk.server.call(request)
    };
    expect(
        &put(current.clone(), None).await,
        StatusCode::PRECONDITION_REQUIRED,
        Some("If-Match"),
        "no If-Match",
    );
    expect(
        &put(current.clone(), Some(version - 1)).await,
        StatusCode::PRECONDITION_FAILED,
        Some("If-Match"),
        "stale",
    );
    let bad = with(current.clone(), |r| {
        r["stages"][0]["audience"] = json!("gamma")
    });
    expect(
        &put(bad, Some(version)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("stages[0].audience"),
        "invalid plan",
    );
    let other_id = with(current.clone(), |r| r["id"] = json!("rel-other"));
    expect(
        &put(other_id, Some(version)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("id"),
        "other id",
    );

    // Notes do not change what ships: still approved (GET → edit → PUT round trip).
    let notes = with(current.clone(), |r| {
        r["notes"] = json!("launch blog post ready")
    });
    let kept = put(notes, Some(version)).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    assert_eq!(kept.body["state"], "approved");
    assert_eq!(kept.body["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(kept.body["notes"], "launch blog post ready");

    // Another flag changes what ships: back to pending_approval, approvals dropped.
    let version = kept.body["version"].as_u64().unwrap();
    let more = with(kept.body.clone(), |r| {
        r["flags"] = json!([{ "key": "new-checkout", "variant": "on" }, { "key": "one-click-pay", "variant": "on" }]);
    });
    let reset = put(more, Some(version)).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.body["state"], "pending_approval");
    assert_eq!(reset.body["approvals"], json!([]));
    assert_eq!(
        reset.body["checklist"][0]["done"], true,
        "the checklist is kept"
    );
    let start = desk.act(&desk.manager, &id, "start", json!({})).await;
    expect(
        &start,
        StatusCode::CONFLICT,
        Some("state"),
        "start without approvals",
    );
    desk.must(&desk.approver, &id, "approve", json!({})).await;
    let twice = desk.act(&desk.approver, &id, "approve", json!({})).await;
    expect(
        &twice,
        StatusCode::CONFLICT,
        None,
        "approving an approved release",
    );
    let running = desk.must(&desk.manager, &id, "start", json!({})).await;
    let v = running["version"].as_u64().unwrap();
    let frozen = put(running.clone(), Some(v)).await;
    expect(
        &frozen,
        StatusCode::CONFLICT,
        Some("state"),
        "replacing a running plan",
    );
}

#[tokio::test]
async fn a_flag_is_driven_by_one_running_release_at_a_time() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let second = desk.approved(canary(&["new-checkout"])).await;
    let first = desk.approved(canary(&["new-checkout"])).await;
    desk.must(&desk.manager, &first, "start", json!({})).await;
    let create = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/releases",
            Some(canary(&["new-checkout"])),
        )
        .await;
    expect(
        &create,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("flags[0].key"),
        "plan on a running flag",
    );
    assert!(create.body["detail"].as_str().unwrap().contains(&first));
    let start = desk.act(&desk.manager, &second, "start", json!({})).await;
    expect(
        &start,
        StatusCode::CONFLICT,
        Some("flags[0].key"),
        "second start",
    );
    desk.must(
        &desk.manager,
        &first,
        "rollback",
        json!({ "reason": "make room" }),
    )
    .await;
    desk.must(&desk.manager, &second, "start", json!({})).await;
}

#[tokio::test]
async fn webhook_and_clock_endpoints_name_the_bad_field() {
    let desk = Desk::open().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no scheme",
            json!({ "url": "example.com/hook", "events": ["started"] }),
            "url",
        ),
        (
            "ftp",
            json!({ "url": "ftp://example.com/hook", "events": ["started"] }),
            "url",
        ),
        (
            "no events",
            json!({ "url": "http://localhost:1/hook", "events": [] }),
            "events",
        ),
        (
            "unknown event",
            json!({ "url": "http://localhost:1/hook", "events": ["started", "exploded"] }),
            "events[1]",
        ),
        (
            "twice",
            json!({ "url": "http://localhost:1/hook", "events": ["started", "started"] }),
            "events[1]",
        ),
        (
            "short secret",
            json!({ "url": "http://localhost:1/hook", "events": ["started"], "secret": "abc" }),
            "secret",
        ),
        (
            "unknown field",
            json!({ "url": "http://localhost:1/hook", "events": ["started"], "retries": 3 }),
            "retries",
        ),
    ];
    for (case, body, field) in cases {
        let reply = desk
            .call(admin(), Method::POST, "/api/v1/webhooks", Some(body))
            .await;
        expect(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(field), case);
    }
    let manager = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "http://localhost:1/hook", "events": ["started"] })),
        )
        .await;
    expect(
        &manager,
        StatusCode::FORBIDDEN,
        None,
        "only admins subscribe",
    );
    let created = desk
        .call(
            admin(),
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "http://localhost:1/hook", "events": ["started"] })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = format!("/api/v1/webhooks/{}", created.body["id"].as_str().unwrap());
    let body = json!({ "url": "http://localhost:2/hook", "events": ["completed"] });
    let no_version = desk
        .call(admin(), Method::PUT, &path, Some(body.clone()))
        .await;
    expect(
        &no_version,
        StatusCode::PRECONDITION_REQUIRED,
        Some("If-Match"),
        "webhook without If-Match",
    );
    let stale = desk
        .server
        .call(
            desk.server
                .request(Method::PUT, &path, Some(admin()))
                .header("If-Match", "\"9\"")
                .json(&body),
        )
        .await;
    expect(
        &stale,
        StatusCode::PRECONDITION_FAILED,
        Some("If-Match"),
        "stale webhook",
    );

    for (case, body, field) in [
        (
            "both",
            json!({ "advance": "1s", "set": "2031-01-01T00:00:00Z" }),
            Some("advance"),
        ),
        ("neither", json!({}), Some("advance")),
        (
            "bad duration",
            json!({ "advance": "soon" }),
            Some("advance"),
        ),
        ("bad time", json!({ "set": "tomorrow" }), Some("set")),
    ] {
        let reply = desk
            .call(admin(), Method::POST, "/api/v1/testing/clock", Some(body))
            .await;
        expect(&reply, StatusCode::UNPROCESSABLE_ENTITY, field, case);
    }
    let manager = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/testing/clock",
            Some(json!({ "advance": "1s" })),
        )
        .await;
    expect(
        &manager,
        StatusCode::FORBIDDEN,
        None,
        "only admins move the clock",
    );

    let real = Server::start().await;
    let off = real
        .admin(
            Method::POST,
            "/api/v1/testing/clock",
            Some(json!({ "advance": "1s" })),
        )
        .await;
    expect(
        &off,
        StatusCode::CONFLICT,
        None,
        "manual clock off by default",
    );
}

#[tokio::test]
async fn every_release_and_webhook_endpoint_is_in_the_openapi_document() {
    let server = Server::start().await;
    let document = server
        .admin(Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(
        document.body["openapi"].as_str().unwrap().get(..3),
        Some("3.1")
    );
    let expected = [
        ("/api/v1/releases", vec!["get", "post"]),
        ("/api/v1/releases/{id}", vec!["get", "put"]),
        ("/api/v1/releases/{id}/{action}", vec!["post"]),
        ("/api/v1/releases/{id}/percent", vec!["post"]),
        ("/api/v1/releases/{id}/checklist/{index}", vec!["post"]),
        ("/api/v1/releases/{id}/incidents", vec!["post"]),
        ("/api/v1/webhooks", vec!["get", "post"]),
        ("/api/v1/webhooks/{id}", vec!["get", "put", "delete"]),
        ("/api/v1/webhooks/{id}/deliveries", vec!["get"]),
        ("/api/v1/testing/clock", vec!["get", "post"]),
    ];
    for (path, methods) in expected {
        for method in methods {
            let operation = &document.body["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            assert_eq!(
                operation["security"][0]["admin_token"],
                json!([]),
                "{method} {path} needs an admin token"
            );
        }
    }
    let release = &document.body["components"]["schemas"]["Release"];
    assert!(release.to_string().contains("current_stage"), "{release}");
}
