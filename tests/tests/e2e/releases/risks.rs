//! The living risk log and tracked incidents, through the real binary: risks added,
//! mitigated and closed while the release runs and is paused, never asking for approval
//! again, each change on the timeline with who and why and in the report; a risk that
//! occurred linked to its incident both ways; an incident's life from open through
//! mitigated to resolved in the report's counts (by severity, time to resolve, actions);
//! and bad input — unknown statuses, steps that do not exist, unknown ids, hostile or
//! oversized text, unknown fields, a stale version — refused naming the field, with
//! nothing written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::cli::ok;
use super::support::{Desk, canary, events_of};

/// A running release of the canary plan (one risk in the plan, one approval).
async fn running(desk: &Desk) -> String {
    desk.flag("new-checkout").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    let started = desk.must(&desk.manager, &id, "start", json!({})).await;
    assert_eq!(started["state"], "running");
    id
}

async fn report(desk: &Desk, id: &str, format: &str) -> Value {
    let reply = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/report?format={format}"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risks_are_added_and_closed_while_the_release_runs_without_asking_for_approval_again() {
    let desk = Desk::open().await;
    let id = running(&desk).await;
    let seeded = desk.release(&id).await;
    assert_eq!(seeded["risk_log"][0]["id"], "risk-1");
    assert_eq!(
        seeded["risk_log"][0]["description"],
        "Payment provider timeouts"
    );
    assert_eq!(seeded["risk_log"][0]["status"], "open");
    assert_eq!(seeded["risk_log"][0]["from_plan"], true);

    let added = desk
        .must(
            &desk.manager,
            &id,
            "risks",
            json!({ "description": "EU traffic peak on launch day", "likelihood": "medium",
                    "impact": "high", "owner": "dana", "reason": "marketing moved the campaign" }),
        )
        .await;
    assert_eq!(added["state"], "running", "no approval asked again");
    assert_eq!(added["approvals"].as_array().unwrap().len(), 1);
    assert_eq!(added["risk_log"][1]["id"], "risk-2");
    assert_eq!(added["risk_log"][1]["status"], "open");
    let event = events_of(&added, "risk_added").pop().unwrap();
    assert_eq!(event["comment"], "marketing moved the campaign");
    assert_eq!(event["details"]["id"], "risk-2");
    assert!(event["by"]["name"].is_string());

    desk.must(&desk.manager, &id, "pause", json!({})).await;
    let mitigating = desk
        .must(
            &desk.manager,
            &id,
            "risks/risk-2",
            json!({ "status": "mitigating", "mitigation": "Scale the EU pool to 12 nodes",
                    "reason": "ops agreed to scale" }),
        )
        .await;
    assert_eq!(mitigating["state"], "paused");
    assert_eq!(mitigating["risk_log"][1]["status"], "mitigating");
    let change = events_of(&mitigating, "risk_updated").pop().unwrap();
    assert_eq!(change["details"]["from"]["status"], "open");
    assert_eq!(change["details"]["to"]["status"], "mitigating");
    assert_eq!(change["comment"], "ops agreed to scale");
    desk.must(&desk.manager, &id, "resume", json!({})).await;

    // Bad input: refused naming the field, nothing written.
    let before = desk.server.stored_state().await;
    let refused = [
        (
            "risks/risk-2",
            json!({ "status": "solved", "reason": "x" }),
            Some("status"),
            "solved",
        ),
        (
            "risks/risk-1",
            json!({ "status": "open", "reason": "x" }),
            Some("status"),
            "already is",
        ),
        (
            "risks/risk-9",
            json!({ "status": "closed", "reason": "x" }),
            Some("risk"),
            "has no risk",
        ),
        (
            "risks/risk-2",
            json!({ "status": "closed" }),
            Some("reason"),
            "is required",
        ),
        (
            "risks/risk-2",
            json!({ "status": "occurred", "reason": "it happened" }),
            Some("incident"),
            "names the incident",
        ),
        (
            "risks/risk-2",
            json!({ "status": "closed", "reason": "x", "colour": "red" }),
            None,
            "colour",
        ),
        (
            "risks/risk-2",
            json!({ "owner": "eve\u{1b}[2J", "reason": "x" }),
            Some("owner"),
            "",
        ),
        (
            "risks/risk-2",
            json!({ "mitigation": "m".repeat(5000), "reason": "x" }),
            Some("mitigation"),
            "at most 4096 bytes",
        ),
        (
            "risks",
            json!({ "description": " ", "likelihood": "low", "impact": "low" }),
            Some("description"),
            "must describe",
        ),
        (
            "risks",
            json!({ "description": "x", "likelihood": "certain", "impact": "low" }),
            Some("likelihood"),
            "certain",
        ),
    ];
    for (path, body, field, fragment) in refused {
        let reply = desk.act(&desk.manager, &id, path, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {}",
            reply.body
        );
        if let Some(field) = field {
            assert_eq!(reply.body["field"], field, "{path} {body}: {}", reply.body);
        }
        assert!(
            reply.body.to_string().contains(fragment),
            "{path}: {} should say {fragment:?}",
            reply.body
        );
    }
    let viewer = desk
        .act(
            &desk.viewer,
            &id,
            "risks/risk-2",
            json!({ "status": "closed", "reason": "x" }),
        )
        .await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN, "{}", viewer.body);
    // A stale version: the release moved since it was read.
    let version = desk.release(&id).await["version"].as_u64().unwrap();
    let stale = desk
        .server
        .call(
            desk.server
                .request(
                    Method::POST,
                    &format!("/api/v1/releases/{id}/risks/risk-2"),
                    Some(&desk.manager),
                )
                .header("If-Match", format!("\"{}\"", version - 1))
                .json(&json!({ "status": "closed", "reason": "x" })),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );
    assert_eq!(desk.server.stored_state().await, before);

    // Closed from the terminal, with the current version.
    let closed = ok(
        &desk,
        &desk.manager,
        &[
            "release",
            "risk",
            "update",
            &id,
            "risk-2",
            "--status",
            "closed",
            "--reason",
            "the peak passed without errors",
        ],
    )
    .await;
    assert!(closed.starts_with("updated: risk-2   closed"), "{closed}");
    let listed = ok(&desk, &desk.viewer, &["release", "risk", "list", &id]).await;
    assert!(listed.contains("risk-1   open"), "{listed}");
    assert!(listed.contains("EU traffic peak on launch day"), "{listed}");
    let release = desk.release(&id).await;
    assert_eq!(release["state"], "running");
    assert_eq!(events_of(&release, "approvals_reset").len(), 0);

    let text = report(&desk, &id, "markdown").await;
    let text = text.as_str().unwrap();
    assert!(text.contains("## Risk log"), "{text}");
    assert!(
        text.contains("| risk-2 | EU traffic peak on launch day | medium | high | Scale the EU pool to 12 nodes | dana | closed |"),
        "{text}"
    );
    assert!(
        text.contains("| risk-2 | added | marketing moved the campaign |"),
        "{text}"
    );
    assert!(
        text.contains("| risk-2 | status mitigating → closed | the peak passed without errors |"),
        "{text}"
    );
    let json = report(&desk, &id, "json").await;
    assert_eq!(
        json["risk_history"].as_array().unwrap().len(),
        3,
        "{}",
        json["risk_history"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_from_a_risk_lives_from_open_to_resolved_in_the_report_counts() {
    let desk = Desk::open().await;
    let id = running(&desk).await;

    let logged = desk
        .must(
            &desk.manager,
            &id,
            "incidents",
            json!({ "what": "Payment provider timing out", "action": "paged the provider",
                    "severity": "high", "owner": "carol", "risk": "risk-1" }),
        )
        .await;
    let incident = &logged["incidents"][0];
    assert_eq!(incident["id"], "incident-1");
    assert_eq!(incident["status"], "open");
    assert_eq!(incident["risk"], "risk-1");
    assert_eq!(incident["actions"][0]["action"], "paged the provider");
    assert_eq!(logged["risk_log"][0]["status"], "occurred");
    assert_eq!(logged["risk_log"][0]["incident"], "incident-1");
    assert_eq!(events_of(&logged, "risk_updated").len(), 1);
    assert_eq!(
        events_of(&logged, "incident")[0]["details"]["severity"],
        "high"
    );
    assert_eq!(logged["approvals"].as_array().unwrap().len(), 1);

    // An occurred risk is final; an incident linked once is not linked again.
    let before = desk.server.stored_state().await;
    desk.act(
        &desk.manager,
        &id,
        "risks/risk-1",
        json!({ "status": "open", "reason": "x" }),
    )
    .await
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, Some("status"), "final");
    desk.act(
        &desk.manager,
        &id,
        "incidents",
        json!({ "what": "again", "action": "none", "risk": "risk-1" }),
    )
    .await
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, Some("risk"), "final");
    desk.act(
        &desk.manager,
        &id,
        "incidents/incident-7",
        json!({ "status": "resolved" }),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("incident"),
        "incident-7",
    );
    desk.act(
        &desk.manager,
        &id,
        "incidents/incident-1",
        json!({ "severity": "apocalyptic" }),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    desk.act(&desk.manager, &id, "incidents/incident-1", json!({}))
        .await
        .expect_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("status"),
            "say what changes",
        );
    desk.act(
        &desk.manager,
        &id,
        "incidents",
        json!({ "what": "x", "action": "y", "severity": "low", "sla": "1h" }),
    )
    .await
    .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(desk.server.stored_state().await, before);

    let mitigated = desk
        .must(
            &desk.manager,
            &id,
            "incidents/incident-1",
            json!({ "status": "mitigated", "action": "switched to the backup provider" }),
        )
        .await;
    assert_eq!(mitigated["incidents"][0]["status"], "mitigated");
    assert!(mitigated["incidents"][0]["mitigated_at"].is_string());
    desk.advance("30m").await;
    let resolved = ok(
        &desk,
        &desk.manager,
        &[
            "release",
            "incident",
            "update",
            &id,
            "incident-1",
            "--status",
            "resolved",
            "--action",
            "the provider fixed its TLS pool",
        ],
    )
    .await;
    assert!(
        resolved.starts_with("updated: incident-1 high     resolved in 30m"),
        "{resolved}"
    );
    desk.act(
        &desk.manager,
        &id,
        "incidents/incident-1",
        json!({ "status": "open" }),
    )
    .await
    .expect_problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("status"),
        "resolved is final",
    );

    let second = ok(
        &desk,
        &desk.manager,
        &[
            "release",
            "incident",
            "log",
            &id,
            "--what",
            "Slow receipts",
            "--action",
            "opened a ticket",
            "--severity",
            "low",
        ],
    )
    .await;
    assert!(
        second.starts_with("logged: incident-2 low      open"),
        "{second}"
    );
    let listed = ok(&desk, &desk.viewer, &["release", "incident", "list", &id]).await;
    assert!(
        listed.contains("switched to the backup provider"),
        "{listed}"
    );

    let json = report(&desk, &id, "json").await;
    let counts = &json["incidents"];
    assert_eq!(counts["total"], 2, "{counts}");
    assert_eq!(counts["open"], 1);
    assert_eq!(counts["resolved"], 1);
    assert_eq!(counts["actions"], 4);
    assert_eq!(counts["mean_seconds_to_resolve"], 1800);
    assert_eq!(counts["by_severity"][0]["severity"], "high");
    assert_eq!(counts["by_severity"][0]["resolved"], 1);
    assert_eq!(counts["by_severity"][0]["actions"], 3);
    assert_eq!(counts["by_severity"][1]["severity"], "low");
    assert_eq!(counts["by_severity"][1]["resolved"], 0);
    let text = report(&desk, &id, "markdown").await;
    let text = text.as_str().unwrap();
    assert!(text.contains("| high | 1 | 1 | 30m | 3 |"), "{text}");
    assert!(
        text.contains("| all (1 open, 0 mitigated) | 2 | 1 | 30m (longest 30m) | 4 |"),
        "{text}"
    );
    assert!(
        text.contains("| incident-1 | high | Payment provider timing out | carol |"),
        "{text}"
    );
    assert!(text.contains("| risk-1 | Payment provider timeouts | low | high | Roll back on error rate |  | occurred: incident-1 |"), "{text}");
}
