//! The release group and sign-off by function: a plan that needs the product manager's
//! and the engineering lead's sign-off cannot start with one of them, nor with the
//! author's (who is in the group), nor with a plain approval from someone outside it;
//! a function nobody holds, a sign-off named for a function the caller does not hold
//! and a plan leaving out what the environment's policy requires are refused, and
//! nothing is written. Webhooks carry the group; the report says who watched.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Server, wait};
use serde_json::{Value, json};

use super::cli::ok;
use super::support::{Desk, admin, canary, subscribed};

/// A release manager's token for a person: (secret, token id).
pub(crate) async fn person(server: &Server, name: &str) -> (String, String) {
    let reply = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "admin", "role": "release_manager", "name": name })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    (
        reply.body["token"].as_str().unwrap().to_owned(),
        reply.body["id"].as_str().unwrap().to_owned(),
    )
}

/// A canary plan whose group has `members` (name, principal, function) and which needs
/// `signoffs`.
pub(crate) fn with_group(flag: &str, members: &[(&str, &str, &str)], signoffs: &[&str]) -> Value {
    let mut plan = canary(&[flag]);
    plan["group"] = members
        .iter()
        .map(|(name, principal, function)| {
            json!({ "name": name, "principal": principal, "function": function })
        })
        .collect();
    plan["signoffs_required"] = json!(signoffs);
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_starts_only_with_a_sign_off_from_each_function_it_needs() {
    let (desk, hook, _received) = subscribed(&["approved"]).await;
    let (author, author_id) = person(&desk.server, "ada").await;
    let (pm, pm_id) = person(&desk.server, "pat").await;
    let (eng, eng_id) = person(&desk.server, "eli").await;
    let plan = with_group(
        "new-checkout",
        &[
            ("Ada", &author_id, "product_manager"),
            ("Pat", &pm_id, "product_manager"),
            ("Eli", &eng_id, "engineering_lead"),
            ("Dee", &eng_id, "devops_lead"),
        ],
        &["product_manager", "engineering_lead"],
    );

    // A function nobody in the group holds is refused, naming it; nothing is written.
    let mut unknown = plan.clone();
    unknown["signoffs_required"] = json!(["product_manager", "chief_financial_officer"]);
    let before = desk.server.stored_state().await;
    desk.call(&author, Method::POST, "/api/v1/releases", Some(unknown))
        .await
        .expect_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("signoffs_required[1]"),
            "no member of the group holds it",
        );
    assert_eq!(desk.server.stored_state().await, before);

    let created = desk
        .call(&author, Method::POST, "/api/v1/releases", Some(plan))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    desk.must(&author, &id, "submit", json!({})).await;

    // The author is a product manager of the group, but never signs off their own plan.
    desk.act(&author, &id, "approve", json!({}))
        .await
        .expect(StatusCode::FORBIDDEN);
    // Someone outside the group cannot sign for a function; naming one nobody requires
    // is a 422.
    desk.act(
        &desk.approver,
        &id,
        "approve",
        json!({ "function": "product_manager" }),
    )
    .await
    .expect(StatusCode::FORBIDDEN);
    desk.act(&pm, &id, "approve", json!({ "function": "cfo" }))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, Some("function"), "cfo");

    // A plain approval and the product manager's sign-off: still not approved.
    desk.must(&desk.approver, &id, "approve", json!({})).await;
    let one = desk.must(&pm, &id, "approve", json!({})).await;
    assert_eq!(one["state"], "pending_approval", "{one}");
    assert_eq!(one["approvals"][1]["function"], "product_manager");
    assert_eq!(
        one["timeline"].as_array().unwrap().last().unwrap()["details"]["signoffs_missing"],
        json!(["engineering_lead"])
    );
    desk.act(&author, &id, "start", json!({}))
        .await
        .expect(StatusCode::CONFLICT);

    let shown = ok(&desk, &desk.viewer, &["release", "group", &id]).await;
    assert!(
        shown.contains(
            "sign-offs required: product_manager, engineering_lead; missing: engineering_lead"
        ),
        "{shown}"
    );

    // Eli holds two functions: only engineering_lead is missing, so it is the one.
    let both = desk.must(&eng, &id, "approve", json!({})).await;
    assert_eq!(both["state"], "approved", "{both}");
    assert_eq!(both["approvals"][2]["function"], "engineering_lead");
    desk.must(&author, &id, "checklist/0", json!({ "done": true }))
        .await;
    desk.must(&author, &id, "start", json!({})).await;

    // The `approved` webhook carries the group.
    let path = format!("/api/v1/webhooks/{hook}/deliveries");
    let delivery = wait::until(Duration::from_secs(30), "the approved delivery", || async {
        let log = desk.call(admin(), Method::GET, &path, None).await;
        match log.body.as_array().and_then(|l| l.first()) {
            Some(delivery) => Ok(delivery.clone()),
            None => Err(log.body.to_string()),
        }
    })
    .await;
    let body: Value = serde_json::from_str(delivery["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["release"]["group"][1]["name"], "Pat", "{body}");
    assert_eq!(body["release"]["group"][2]["function"], "engineering_lead");

    // The report says who watched and who signed off for what.
    let report = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/report?format=markdown"),
            None,
        )
        .await;
    assert_eq!(report.status, StatusCode::OK);
    let text = report.body.as_str().unwrap();
    assert!(text.contains("## Release group"), "{text}");
    assert!(
        text.contains("| Eli | engineering\\_lead | eli at 2030-01-01 00:00:00 UTC |"),
        "{text}"
    );
    assert!(text.contains("| Ada | product\\_manager | — |"), "{text}");
    assert!(text.contains("eli (engineering\\_lead) at"), "{text}");
}

#[tokio::test]
async fn the_environment_s_policy_names_functions_every_plan_must_have_sign_off() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let environment = desk.server.read("/api/v1/environments/production").await;
    desk.server
        .admin_if_match(
            Method::PUT,
            "/api/v1/environments/production",
            &environment["version"].to_string(),
            Some(json!({ "release_policy": { "signoffs_required": ["devops_lead"] } })),
        )
        .await
        .expect(StatusCode::OK);
    let (_, ops_id) = person(&desk.server, "otto").await;
    let without = with_group("new-checkout", &[("Otto", &ops_id, "devops_lead")], &[]);
    desk.call(
        &desk.manager,
        Method::POST,
        "/api/v1/releases",
        Some(without),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("signoffs_required"),
        "requires a sign-off by the devops_lead",
    );
    let with = with_group(
        "new-checkout",
        &[("Otto", &ops_id, "devops_lead")],
        &["devops_lead"],
    );
    desk.create(with).await;
}
