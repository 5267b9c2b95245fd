//! Versions and ownership: a stale `If-Match` answers 412 and concurrent promotes
//! apply once; replacing a plan needs its version and sends an approved plan back for
//! approval only when what ships changes; a flag is driven by one running release at a
//! time.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::support::{Desk, canary};
use super::{expect, with};

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
