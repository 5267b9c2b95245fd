//! The readiness backlog: tasks by area with owners, due dates and statuses. A status
//! changes in one call and keeps the approvals; a step that does not exist, a dropped
//! task without a reason and a due date in the past are refused naming the field; an
//! overdue task shows in the API, the CLI and the report and is announced once by
//! `task_overdue` under the manual clock; the release starts only when every task is
//! done or dropped.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::wait;
use serde_json::{Value, json};

use super::cli::ok;
use super::support::{admin, canary, events_of, subscribed};

fn with_tasks() -> Value {
    let mut plan = canary(&["new-checkout"]);
    plan["tasks"] = json!([
        { "title": "Train the help desk", "area": "training", "owner": "support",
          "due": "2030-01-02T00:00:00Z" },
        { "title": "Press kit", "area": "marketing", "owner": "pmm", "due": "2030-01-05T00:00:00Z" },
        { "title": "Demo video", "area": "marketing", "notes": "two minutes at most" }
    ]);
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_change_in_one_call_an_overdue_one_is_announced_once_and_start_waits_for_all() {
    let (desk, hook, _received) = subscribed(&["task_overdue"]).await;

    // Bad plans: a due date in the past, a dropped task without a reason.
    let before = desk.server.stored_state().await;
    let mut past = with_tasks();
    past["tasks"][1]["due"] = json!("2029-12-31T00:00:00Z");
    desk.call(&desk.manager, Method::POST, "/api/v1/releases", Some(past))
        .await
        .expect_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("tasks[1].due"),
            "is in the past",
        );
    let mut unexplained = with_tasks();
    unexplained["tasks"][2]["status"] = json!("dropped");
    desk.call(
        &desk.manager,
        Method::POST,
        "/api/v1/releases",
        Some(unexplained),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("tasks[2].reason"),
        "says why",
    );
    assert_eq!(desk.server.stored_state().await, before);

    let id = desk.approved(with_tasks()).await;
    desk.act(&desk.manager, &id, "start", json!({}))
        .await
        .expect_problem(StatusCode::CONFLICT, Some("tasks[0].status"), "3 task(s)");

    // One call per change; the approvals stay.
    let task = |index: usize| format!("tasks/{index}");
    let doing = desk
        .must(&desk.manager, &id, &task(0), json!({ "status": "doing" }))
        .await;
    assert_eq!(doing["state"], "approved");
    assert_eq!(doing["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(doing["tasks"][0]["status"], "doing");
    desk.must(&desk.manager, &id, &task(2), json!({ "status": "done" }))
        .await;
    // Steps that do not exist, and bad bodies: nothing is written.
    let before = desk.server.stored_state().await;
    desk.act(&desk.manager, &id, &task(0), json!({ "status": "doing" }))
        .await
        .expect_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("status"),
            "already is",
        );
    desk.act(
        &desk.manager,
        &id,
        &task(2),
        json!({ "status": "dropped", "reason": "cut" }),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("status"),
        "reopen it first",
    );
    desk.act(&desk.manager, &id, &task(1), json!({ "status": "dropped" }))
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, Some("reason"), "says why");
    desk.act(
        &desk.manager,
        &id,
        &task(1),
        json!({ "status": "finished" }),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    desk.act(&desk.manager, &id, &task(7), json!({ "status": "done" }))
        .await
        .expect_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("tasks[7]"),
            "no such task",
        );
    assert_eq!(desk.server.stored_state().await, before);

    // A day and an hour later the help desk training is overdue: announced once.
    desk.advance("1d1h").await;
    let list = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/tasks"),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["overdue"], 1, "{}", list.body);
    assert_eq!(list.body["tasks"][0]["overdue"], true);
    assert_eq!(list.body["tasks"][1]["overdue"], false);
    let shown = ok(&desk, &desk.viewer, &["release", "tasks", &id]).await;
    assert!(shown.contains("Train the help desk  OVERDUE"), "{shown}");
    assert!(
        shown.contains("1 overdue at 2030-01-02T01:00:00Z"),
        "{shown}"
    );
    let release = wait::until(
        Duration::from_secs(30),
        "task_overdue on the timeline",
        || async {
            let release = desk.release(&id).await;
            if events_of(&release, "task_overdue").is_empty() {
                Err(release["timeline"].to_string())
            } else {
                Ok(release)
            }
        },
    )
    .await;
    let overdue = events_of(&release, "task_overdue");
    assert_eq!(overdue[0]["by"]["id"], "system:scheduler");
    assert_eq!(overdue[0]["details"]["index"], 0);
    assert_eq!(overdue[0]["details"]["due"], "2030-01-02T00:00:00Z");
    desk.advance("1h").await;
    desk.advance("1h").await;
    assert_eq!(
        events_of(&desk.release(&id).await, "task_overdue").len(),
        1,
        "once"
    );
    let path = format!("/api/v1/webhooks/{hook}/deliveries");
    let log = desk.call(admin(), Method::GET, &path, None).await;
    let log = log.body.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["event"], "task_overdue");

    // Done and dropped (with a reason): the release starts.
    desk.must(
        &desk.manager,
        &id,
        &task(0),
        json!({ "status": "done", "notes": "all 12 agents" }),
    )
    .await;
    let ok_cli = ok(
        &desk,
        &desk.manager,
        &[
            "release",
            "task",
            &id,
            "2",
            "--status",
            "dropped",
            "--reason",
            "the press embargo moved",
        ],
    )
    .await;
    assert!(ok_cli.starts_with("task updated:"), "{ok_cli}");
    let started = desk.must(&desk.manager, &id, "start", json!({})).await;
    assert_eq!(started["state"], "running");
    let updates = events_of(&started, "task_updated");
    assert_eq!(updates.len(), 4);
    assert_eq!(updates[3]["details"]["reason"], "the press embargo moved");

    let report = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/report?format=markdown"),
            None,
        )
        .await;
    let text = report.body.as_str().unwrap();
    assert!(
        text.contains("| marketing | Press kit | pmm | 2030-01-05 00:00:00 UTC | dropped: the press embargo moved |"),
        "{text}"
    );
}
