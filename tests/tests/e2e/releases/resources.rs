//! Resources and commitments: each resource's owner — a member of the release group —
//! commits it or declines it with a reason, on the timeline; the release starts only
//! with every resource committed, and a revision that changes a committed resource
//! withdraws its commitment. A negative amount, an owner outside the group and an
//! answer from someone other than the owner are refused, and nothing is written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::cli::ok;
use super::group::{person, with_group};
use super::support::Desk;

fn events(release: &Value, kind: &str) -> usize {
    release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == kind)
        .count()
}

#[tokio::test]
async fn a_release_starts_once_every_resource_is_committed_and_a_change_withdraws_it() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let (ops, ops_id) = person(&desk.server, "otto").await;
    let (fin, fin_id) = person(&desk.server, "fay").await;
    let mut plan = with_group(
        "new-checkout",
        &[
            ("Otto", &ops_id, "devops_lead"),
            ("Fay", &fin_id, "finance"),
        ],
        &[],
    );
    plan["resources"] = json!([
        { "kind": "personnel", "description": "Support agents on call in launch week",
          "amount": 6, "unit": "people", "owner": "Otto" },
        { "kind": "budget", "description": "Launch campaign", "amount": 12000, "unit": "EUR",
          "owner": "Fay" }
    ]);

    // Bad plans: a negative amount, an owner outside the group. Nothing is written.
    let before = desk.server.stored_state().await;
    let mut negative = plan.clone();
    negative["resources"][1]["amount"] = json!(-5);
    desk.call(
        &desk.manager,
        Method::POST,
        "/api/v1/releases",
        Some(negative),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("resources[1].amount"),
        "at least 0",
    );
    let mut stranger = plan.clone();
    stranger["resources"][0]["owner"] = json!("Zed");
    desk.call(
        &desk.manager,
        Method::POST,
        "/api/v1/releases",
        Some(stranger),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("resources[0].owner"),
        "\"Zed\"",
    );
    assert_eq!(desk.server.stored_state().await, before);

    let id = desk.approved(plan.clone()).await;
    let commit = |index: usize| format!("resources/{index}/commit");
    let decline = |index: usize| format!("resources/{index}/decline");

    // Only the owner answers; a decline says why.
    desk.act(&fin, &id, &commit(0), json!({}))
        .await
        .expect(StatusCode::FORBIDDEN);
    desk.act(&fin, &id, &decline(1), json!({}))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, Some("reason"), "say why");
    let declined = desk
        .must(
            &fin,
            &id,
            &decline(1),
            json!({ "reason": "Q1 budget is not approved yet" }),
        )
        .await;
    assert_eq!(declined["commitments"][0]["status"], "declined");
    let said = ok(&desk, &ops, &["release", "resource", &id, "1", "commit"]).await;
    assert!(said.starts_with("commit recorded:"), "{said}");
    let committed = desk.release(&id).await;
    assert_eq!(committed["state"], "approved", "answers keep the approvals");
    assert_eq!(committed["commitments"][1]["by"]["name"], "otto");
    desk.act(&desk.manager, &id, "start", json!({}))
        .await
        .expect_problem(
            StatusCode::CONFLICT,
            Some("resources[1]"),
            "Launch campaign",
        );
    desk.must(
        &fin,
        &id,
        &commit(1),
        json!({ "reason": "approved on Monday" }),
    )
    .await;
    desk.act(&fin, &id, &commit(1), json!({}))
        .await
        .expect_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("status"),
            "already committed",
        );

    // A change to a committed resource withdraws its commitment; the other stays.
    let current = desk.release(&id).await;
    let mut revised = plan;
    revised["resources"][1]["amount"] = json!(15000);
    revised["checklist"][0]["done"] = json!(true);
    let reply = desk
        .server
        .admin_if_match(
            Method::PUT,
            &format!("/api/v1/releases/{id}"),
            &current["version"].to_string(),
            Some(revised),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.body["state"], "approved",
        "resources are not material"
    );
    assert_eq!(reply.body["commitments"].as_array().unwrap().len(), 1);
    assert_eq!(reply.body["commitments"][0]["resource"], 0);
    assert_eq!(events(&reply.body, "commitment_withdrawn"), 1);
    desk.act(&desk.manager, &id, "start", json!({}))
        .await
        .expect(StatusCode::CONFLICT);
    let again = desk.must(&fin, &id, &commit(1), json!({})).await;
    assert_eq!(events(&again, "resource_committed"), 3);
    assert_eq!(events(&again, "resource_declined"), 1);
    let started = desk.must(&desk.manager, &id, "start", json!({})).await;
    assert_eq!(started["state"], "running");
}
