//! A healthy release advances through every stage to `completed` by itself, and its
//! report says so (before it, the preflight of a broken plan against the same
//! Prometheus reports the query it refuses and the KPI without data): every stage advanced by the controller, every check passed,
//! and no issue but a first interval without data.

use std::time::Duration;

use serde_json::{Value, json};

use super::super::report::{actions, assert_spread, check, final_report, health, reached_stages};
use super::super::support::{Stack, of_kind};
use super::{CONTROLLER, by_controller};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_release_advances_through_every_stage_to_completed_by_itself() {
    let stack = Stack::start().await;
    let plan = stack.plan(
        json!([
            { "audience": "general", "percent": 20, "bake": "2s" },
            { "audience": "general", "percent": 50, "bake": "2s" },
            { "audience": "general", "percent": 100, "bake": "2s" }
        ]),
        json!({}),
    );
    super::super::preflight::reports_refused_queries_and_missing_data(&stack, &plan).await;
    let id = stack.start_release(plan).await;
    let started = stack.release(&id).await;
    let preflight = &started["preflight"];
    assert_eq!(preflight["failed"], 0, "{preflight}");
    assert!(
        preflight["no_data"].as_u64().unwrap() > 0,
        "nobody has the treatment yet: its series do not exist, which refuses nothing: {preflight}"
    );
    let release = stack
        .until(&id, "completed", Duration::from_secs(90), |r| {
            r["state"] == "completed"
        })
        .await;

    let advanced = of_kind(&release, "stage_advanced");
    assert_eq!(
        advanced
            .iter()
            .map(|e| e["stage"].clone())
            .collect::<Vec<_>>(),
        [json!(1), json!(2)],
        "every stage opened once, in order"
    );
    assert!(advanced.iter().all(|e| by_controller(e)));
    let completed = of_kind(&release, "completed");
    assert_eq!(completed.len(), 1);
    assert!(by_controller(completed[0]));
    assert!(of_kind(&release, "rolled_back").is_empty());
    assert!(of_kind(&release, "paused").is_empty());

    // Each automatic action carries the analysis that justified it: the PromQL sent per
    // arm, the values, and a passing verdict for every check.
    for event in advanced.iter().chain(&completed) {
        let record = &event["analysis"];
        assert!(
            ["advance", "complete"].contains(&record["verdict"].as_str().unwrap()),
            "{record}"
        );
        assert!(record["baked_seconds"].as_u64().unwrap() >= 2, "{record}");
        for check in record["checks"].as_array().unwrap() {
            assert_eq!(check["verdict"], "pass", "{check}");
            assert!(check["treatment"].is_number(), "{check}");
            let queries = check["queries"].as_array().unwrap();
            assert!(
                queries
                    .iter()
                    .all(|q| q["promql"].as_str().unwrap().contains("variant=\"on\"")
                        || q["promql"].as_str().unwrap().contains("variant=\"off\""))
            );
        }
    }
    // Holds in between are on the timeline too, as `analysis` events.
    let holds = of_kind(&release, "analysis");
    assert!(!holds.is_empty());
    assert!(
        holds
            .iter()
            .all(|e| by_controller(e) && e["analysis"]["verdict"] == "hold")
    );
    // Stage 0 ran at 20 %: the record compared the treatment ("on") with control ("off").
    let first = &advanced[0]["analysis"];
    assert_eq!(
        (first["stage"].clone(), first["percent"].clone()),
        (json!(0), json!(20.0))
    );
    assert_eq!(first["treatment_variant"], "on");
    assert_eq!(first["control_variant"], "off");
    assert!(first["checks"][0]["control"].is_number(), "{first}");

    for user in ["user-1", "user-77", "user-4242"] {
        assert_eq!(stack.served(user).await, "on", "released to everyone");
    }

    // The report: three stages, each opened by the controller in turn and closed by the
    // next; real numbers from Prometheus for both arms while there was a control.
    let report = final_report(&stack, &id, &release).await;
    let stages = reached_stages(&report, &[20.0, 50.0, 100.0], 3);
    let ends: Vec<&Value> = stages.iter().map(|s| &s["end"]).collect();
    assert_eq!(
        ends,
        [&json!("advanced"), &json!("advanced"), &json!("completed")]
    );
    let decided: Vec<(u64, u64)> = stages
        .iter()
        .map(|s| {
            let v = &s["verdicts"];
            (
                v["advance"].as_u64().unwrap(),
                v["complete"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [(1, 0), (1, 0), (0, 1)],
        "the controller's decisions"
    );
    for (index, stage) in stages.iter().enumerate() {
        for name in ["error-rate", "p99-latency"] {
            let summary = check(stage, name);
            assert_eq!(summary["outcome"], "passed", "{summary}");
            assert_spread(&summary["treatment"]);
            if index < 2 {
                assert_spread(&summary["control"]);
            }
        }
        let latency = &check(stage, "p99-latency")["treatment"];
        assert!(
            latency["max"].as_f64().unwrap() > 0.0,
            "a measured p99: {latency}"
        );
    }
    let points = health(&report, "p99-latency");
    assert_eq!(
        points.len(),
        report["analysis_records"].as_u64().unwrap() as usize
    );
    assert!(
        points
            .iter()
            .any(|p| p["control"].as_f64().is_some_and(|v| v > 0.0))
    );
    let rollout: Vec<(f64, &str)> = report["rollout"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["percent"].as_f64().unwrap(), p["event"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rollout,
        [
            (20.0, "started"),
            (50.0, "stage_advanced"),
            (100.0, "stage_advanced"),
            (100.0, "completed")
        ]
    );
    // Only benign issues: intervals before the window held data, where the controller held.
    for issue in report["issues"].as_array().unwrap() {
        assert_eq!(issue["kind"], "no_data", "{issue}");
        for (by, action) in actions(issue) {
            assert_eq!(by, CONTROLLER);
            assert!(action.starts_with("decided to hold"), "{action}");
        }
    }
    assert!(report.get("rollback").is_none());
}
