//! With Prometheus stopped mid-release the release holds and then pauses — it never
//! advances and never rolls back — and the controller resumes it once Prometheus answers
//! again; promoted by a person to its last stage, the controller completes it.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::report::{actions, assert_spread, check, final_report, issues, reached_stages};
use super::super::support::{Stack, events, of_kind};
use super::{CONTROLLER, by_controller};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_prometheus_the_release_holds_then_pauses_and_resumes_when_it_is_back() {
    let mut stack = Stack::start().await;
    let plan = stack.plan(
        json!([
            { "audience": "general", "percent": 30, "bake": "10m" },
            { "audience": "general", "percent": 100 }
        ]),
        json!({ "max_consecutive_errors": 3 }),
    );
    let id = stack.start_release(plan).await;
    stack
        .until(&id, "an analysis with data", Duration::from_secs(60), |r| {
            r["analysis_progress"]["last_data_at"].is_string()
        })
        .await;
    let before = events(&stack.release(&id).await).len();

    stack.prometheus.stop().await;
    let paused = stack
        .until(&id, "paused", Duration::from_secs(60), |r| {
            r["state"] == "paused"
        })
        .await;
    let outage = &events(&paused)[before..];
    let errors: Vec<&Value> = outage
        .iter()
        .filter(|e| e["event"] == "analysis")
        .filter(|e| {
            e["comment"]
                .as_str()
                .unwrap_or("")
                .starts_with("query error")
        })
        .collect();
    assert!(
        errors.len() >= 2,
        "it held on the first errors: {outage:#?}"
    );
    let pause = outage.last().unwrap();
    assert_eq!(pause["event"], "paused");
    assert!(by_controller(pause));
    assert_eq!(pause["analysis"]["verdict"], "pause");
    assert!(
        pause["comment"]
            .as_str()
            .unwrap()
            .contains("3 analyses in a row"),
        "{pause}"
    );
    for event in outage {
        assert!(
            !["stage_advanced", "rolled_back", "completed"]
                .contains(&event["event"].as_str().unwrap()),
            "no advance, no rollback without Prometheus: {event}"
        );
    }
    assert_eq!(paused["current_stage"], 0);

    // Back: the controller notices and resumes the release it paused; the stage bakes
    // afresh and analyses go on with data.
    stack.prometheus.restart().await;
    let resumed = stack
        .until(&id, "resumed", Duration::from_secs(60), |r| {
            r["state"] == "running"
        })
        .await;
    let resume = of_kind(&resumed, "resumed");
    assert_eq!(resume.len(), 1);
    assert!(by_controller(resume[0]), "{:?}", resume[0]);
    let count = events(&resumed).len();
    let after = stack
        .until(
            &id,
            "analysed again with data",
            Duration::from_secs(60),
            |r| {
                events(r)[count..].iter().any(|e| {
                    e["event"] == "analysis" && e["analysis"]["checks"][0]["verdict"] == "pass"
                })
            },
        )
        .await;
    assert_eq!(after["state"], "running");
    assert_eq!(after["current_stage"], 0);
    assert!(of_kind(&after, "rolled_back").is_empty());
    assert!(of_kind(&after, "stage_advanced").is_empty());

    // A person promotes it to the last stage; the controller completes it from there.
    let promoted = stack
        .server
        .admin(
            Method::POST,
            &format!("/api/v1/releases/{id}/promote"),
            Some(json!({ "comment": "looks fine after the outage" })),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{:?}", promoted.body);
    let release = stack
        .until(&id, "completed", Duration::from_secs(60), |r| {
            r["state"] == "completed"
        })
        .await;
    assert!(by_controller(of_kind(&release, "completed")[0]));

    // The report: the outage's query errors, the pause and the resume, in stage 0.
    let report = final_report(&stack, &id, &release).await;
    let stages = reached_stages(&report, &[30.0, 100.0], 2);
    assert_eq!(
        (&stages[0]["end"], &stages[1]["end"]),
        (&json!("advanced"), &json!("completed"))
    );
    assert_eq!(stages[0]["verdicts"]["pause"], 1, "{}", stages[0]);
    assert_eq!(stages[0]["verdicts"]["rollback"], 0);
    for name in ["error-rate", "p99-latency"] {
        let summary = check(&stages[0], name);
        assert!(
            summary["verdicts"]["error"].as_u64().unwrap() >= 3,
            "{summary}"
        );
        assert_eq!(summary["outcome"], "passed", "it had data before and after");
        assert_spread(&summary["treatment"]);
        assert_spread(&summary["control"]);
    }
    let errors = issues(&report, "query_errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let summary = errors[0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("queries to Prometheus failed")
            && summary.contains("cannot reach Prometheus"),
        "{summary}"
    );
    let responses = actions(errors[0]);
    let paused: Vec<_> = responses
        .iter()
        .filter(|(_, a)| a.starts_with("paused") || a.starts_with("decided to pause"))
        .collect();
    assert_eq!(paused.len(), 1, "the pause once: {responses:?}");
    assert_eq!(paused[0].0, CONTROLLER);
    assert!(
        paused[0]
            .1
            .starts_with("paused the release: Prometheus could not be queried")
    );
    assert!(
        responses
            .iter()
            .any(|(by, a)| *by == CONTROLLER && a.starts_with("resumed the release")),
        "{responses:?}"
    );
    let pauses = issues(&report, "paused");
    assert_eq!(pauses.len(), 1);
    assert!(
        pauses[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Paused by system:controller")
    );
    let resumed = actions(pauses[0]);
    assert_eq!(resumed.len(), 1, "{resumed:?}");
    assert_eq!(resumed[0].0, CONTROLLER);
    assert!(resumed[0].1.starts_with("resumed the release"));
    assert!(issues(&report, "failed_check").is_empty());
    assert!(issues(&report, "rolled_back").is_empty());
    assert!(report.get("rollback").is_none());
}
