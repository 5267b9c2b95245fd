//! The scheduler on an injected clock: a release starts at its `start_at` (also across a
//! restart), the announcement goes out at `announce_at`, a `ramped` release advances on
//! bake time alone but never inside a maintenance window, and a start that is due
//! waits for the checklist. Time only moves through the test clock endpoint, which
//! answers once the scheduler has acted — no test sleeps.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server};
use serde_json::{Value, json};

use super::support::{Desk, canary, manual_clock};

fn events(release: &Value) -> Vec<(String, String)> {
    release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["by"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn scheduled(plan: Value, start_at: &str, announce_at: Option<&str>) -> Value {
    let mut plan = plan;
    plan["schedule"] = json!({ "start_at": start_at });
    if let Some(at) = announce_at {
        plan["schedule"]["announce_at"] = json!(at);
    }
    plan
}

async fn evaluate_alpha(desk: &Desk, flag: &str) -> Value {
    let reply = desk
        .server
        .evaluate(
            &desk.sdk,
            flag,
            json!({ "targetingKey": "a-1", "ring": "alpha" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["variant"].clone()
}

#[tokio::test]
async fn an_approved_release_is_announced_and_started_on_schedule() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let plan = scheduled(
        canary(&["new-checkout"]),
        "2030-01-01T01:00:00Z",
        Some("2030-01-01T00:30:00Z"),
    );
    let id = desk.approved(plan).await;

    assert_eq!(desk.advance("29m").await, "2030-01-01T00:29:00Z");
    let release = desk.release(&id).await;
    assert_eq!(release["state"], "approved");
    assert_eq!(release["announced_at"], Value::Null);

    desk.advance("1m").await;
    let release = desk.release(&id).await;
    assert_eq!(release["announced_at"], "2030-01-01T00:30:00Z");
    assert!(events(&release).contains(&("announced".into(), "system:scheduler".into())));

    desk.advance("29m59s").await;
    assert_eq!(
        desk.release(&id).await["state"],
        "approved",
        "one second early"
    );
    assert_eq!(evaluate_alpha(&desk, "new-checkout").await, "off");

    desk.advance("1s").await;
    let release = desk.release(&id).await;
    assert_eq!(release["state"], "running");
    assert_eq!(release["current_stage"], 0);
    let started = release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "started")
        .unwrap()
        .clone();
    assert_eq!(started["by"]["id"], "system:scheduler");
    assert_eq!(started["at"], "2030-01-01T01:00:00Z");
    assert!(
        started["comment"]
            .as_str()
            .unwrap()
            .contains("scheduled start")
    );
    assert_eq!(evaluate_alpha(&desk, "new-checkout").await, "on");
    let announced = events(&release)
        .iter()
        .filter(|(e, _)| e == "announced")
        .count();
    assert_eq!(announced, 1, "announced once");
}

#[tokio::test]
async fn a_start_that_falls_due_while_the_server_is_down_happens_after_the_restart() {
    let kept = tempfile::tempdir().unwrap();
    let desk = Desk::around(Server::start_in(kept.path(), manual_clock()).await).await;
    desk.flag("new-checkout").await;
    let id = desk
        .approved(scheduled(
            canary(&["new-checkout"]),
            "2030-01-01T01:00:00Z",
            None,
        ))
        .await;
    desk.advance("59m").await;
    assert_eq!(desk.release(&id).await["state"], "approved");
    assert!(desk.server.terminate().await.success());

    // The restarted server's clock stands two hours later: the start is overdue.
    let options = Options {
        env: vec![(
            "ROLLGATE_TESTING__MANUAL_CLOCK_START".to_owned(),
            "2030-01-01T02:00:00Z".to_owned(),
        )],
        ..Options::default()
    };
    let server = Server::start_in(kept.path(), options).await;
    let synced = server
        .admin(
            Method::POST,
            "/api/v1/testing/clock",
            Some(json!({ "set": "2030-01-01T02:00:00Z" })),
        )
        .await;
    assert_eq!(synced.status, StatusCode::OK, "{}", synced.body);
    let release = server
        .admin(Method::GET, &format!("/api/v1/releases/{id}"), None)
        .await
        .body;
    assert_eq!(release["state"], "running", "{release}");
    let started = release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "started")
        .unwrap()
        .clone();
    assert_eq!(started["at"], "2030-01-01T02:00:00Z");
    assert_eq!(started["by"]["id"], "system:scheduler");
    let flag = server
        .admin(Method::GET, "/api/v1/flags/new-checkout", None)
        .await;
    assert_eq!(
        flag.body["environments"]["production"]["rules"][0]["segment"],
        "alpha"
    );
}

#[tokio::test]
async fn a_ramped_release_advances_on_bake_time_but_not_in_a_maintenance_window() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let mut plan = canary(&["new-checkout"]);
    plan["strategy"] = json!("ramped");
    plan["stages"] = json!([
        { "audience": "alpha", "percent": 100, "bake": "10m" },
        { "audience": "beta", "percent": 100, "bake": "10m" },
        { "audience": "general", "percent": 50, "bake": "10m" },
        { "audience": "general", "percent": 100 }
    ]);
    plan["schedule"] = json!({ "maintenance_windows": [
        { "start": "2030-01-01T00:25:00Z", "end": "2030-01-01T00:40:00Z" }
    ] });
    let id = desk.approved(plan).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    let stage = |release: Value| release["current_stage"].as_u64().unwrap();

    desk.advance("9m").await;
    assert_eq!(stage(desk.release(&id).await), 0, "still baking");
    desk.advance("1m").await;
    assert_eq!(stage(desk.release(&id).await), 1, "bake over at 00:10");

    // Paused: bake time passes, nothing advances; resuming restarts the bake.
    desk.must(&desk.manager, &id, "pause", json!({})).await;
    desk.advance("10m").await;
    assert_eq!(stage(desk.release(&id).await), 1, "paused releases hold");
    desk.must(&desk.manager, &id, "resume", json!({})).await;
    desk.advance("5m").await;
    assert_eq!(
        stage(desk.release(&id).await),
        1,
        "the bake restarted at 00:20"
    );

    desk.advance("5m").await; // 00:30, inside the window, bake over since 00:30
    let release = desk.release(&id).await;
    assert_eq!(
        stage(release.clone()),
        1,
        "no advance inside a maintenance window"
    );
    desk.advance("9m").await; // 00:39
    assert_eq!(stage(desk.release(&id).await), 1);
    desk.advance("1m").await; // 00:40: the window is over
    let release = desk.release(&id).await;
    assert_eq!(stage(release.clone()), 2);
    let advanced = release["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(advanced["event"], "stage_advanced");
    assert_eq!(advanced["at"], "2030-01-01T00:40:00Z");
    assert_eq!(advanced["by"]["id"], "system:scheduler");

    desk.advance("10m").await; // 00:50 → general 100 %, which has no bake
    desk.advance("1s").await;
    let release = desk.release(&id).await;
    assert_eq!(release["state"], "completed", "{}", release["timeline"]);
}

#[tokio::test]
async fn a_due_start_waits_for_the_checklist_and_says_so_once() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let id = desk
        .create(scheduled(
            canary(&["new-checkout"]),
            "2030-01-01T00:10:00Z",
            None,
        ))
        .await;
    desk.must(&desk.manager, &id, "submit", json!({})).await;
    desk.must(&desk.approver, &id, "approve", json!({})).await;
    desk.advance("10m").await;
    desk.advance("5m").await;
    let release = desk.release(&id).await;
    assert_eq!(release["state"], "approved");
    let blocked: Vec<Value> = release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "start_blocked")
        .cloned()
        .collect();
    assert_eq!(blocked.len(), 1, "said once: {blocked:?}");
    assert!(
        blocked[0]["comment"]
            .as_str()
            .unwrap()
            .contains("checklist")
    );

    desk.must(&desk.manager, &id, "checklist/0", json!({ "done": true }))
        .await;
    desk.advance("1s").await;
    assert_eq!(desk.release(&id).await["state"], "running");
}
