//! The canary controller end to end, with a real Prometheus scraping the real demo
//! application and the real `rollgate` binary (see `controller_support`):
//!
//! 1. a healthy release advances through every stage to `completed` by itself;
//! 2. once errors are injected into the treatment, the release rolls back by itself and
//!    OFREP serves control to everyone, within a second of the decision;
//! 3. with Prometheus stopped mid-release, the release holds and then pauses — it never
//!    advances and never rolls back — and the controller resumes it once Prometheus
//!    answers again.
//!
//! Intervals are one second and bakes a few seconds, so each scenario takes well under a
//! minute; every wait is a poll of the release with a deadline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: failing loudly is the point"
)]

mod controller_support;

use std::time::Duration;

use controller_support::{Stack, events, of_kind};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CONTROLLER: &str = "system:controller";

fn by_controller(event: &Value) -> bool {
    event["by"]["id"] == CONTROLLER
}

fn time(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

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
    let id = stack.start_release(plan).await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_in_the_treatment_roll_the_release_back_and_everyone_gets_control() {
    let stack = Stack::start().await;
    let plan = stack.plan(
        json!([
            { "audience": "general", "percent": 30, "bake": "10m" },
            { "audience": "general", "percent": 100 }
        ]),
        json!({}),
    );
    let id = stack.start_release(plan).await;
    // Healthy first: the controller sees data from both arms and holds (baking).
    stack
        .until(&id, "a healthy analysis", Duration::from_secs(60), |r| {
            of_kind(r, "analysis").iter().any(|e| {
                e["analysis"]["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c["verdict"] == "pass")
            })
        })
        .await;
    stack.app.faults(0.5, 0).await;
    // Rolled back, and the rollback record written after the write was served.
    let release = stack
        .until(&id, "rolled back", Duration::from_secs(60), |r| {
            r["state"] == "rolled_back" && !of_kind(r, "rollback_propagated").is_empty()
        })
        .await;

    let rolled = of_kind(&release, "rolled_back");
    assert_eq!(rolled.len(), 1);
    let rolled = rolled[0];
    assert!(by_controller(rolled), "{rolled}");
    assert_eq!(rolled["stage"], 0, "it never advanced");
    let record = &rolled["analysis"];
    assert_eq!(record["verdict"], "rollback", "{record}");
    let error_rate = &record["checks"][0];
    assert_eq!(error_rate["name"], "error-rate");
    assert!(
        ["breach", "regression"].contains(&error_rate["verdict"].as_str().unwrap()),
        "{error_rate}"
    );
    assert!(
        error_rate["treatment"].as_f64().unwrap() > error_rate["control"].as_f64().unwrap(),
        "{error_rate}"
    );
    assert!(rolled["comment"].as_str().unwrap().contains("error-rate"));
    assert!(of_kind(&release, "stage_advanced").is_empty());

    // The rollback record: which write, when, and how far it had reached.
    let propagated = of_kind(&release, "rollback_propagated");
    assert_eq!(propagated.len(), 1);
    let details = &propagated[0]["details"];
    assert!(details["revision"].as_u64().unwrap() > 0, "{details}");
    let served_after = time(&details["served_at"]) - time(&details["written_at"]);
    assert!(
        served_after <= time::Duration::SECOND,
        "control served {served_after} after the write"
    );
    // The demo app's SDK stream was connected; the record says whether it had the
    // rollback within the second it waits (on a loaded machine it may not have yet).
    let streams = &details["sdk_streams"];
    let connected = streams["connected"].as_u64().unwrap();
    assert!(connected >= 1, "the demo app's SDK: {details}");
    assert!(
        streams["received"].as_u64().unwrap() <= connected,
        "{details}"
    );
    eprintln!("rollback record: {details}");
    // The decision's timestamp is the record's; the write followed within a second.
    let decided = time(&record["at"]);
    assert!(time(&details["written_at"]) - decided <= time::Duration::SECOND * 5);

    for n in 0..200 {
        assert_eq!(
            stack.served(&format!("user-{n}")).await,
            "off",
            "everyone gets control"
        );
    }
    // And the application, evaluating locally with the SDK, serves the classic checkout
    // to everyone: the rollback reached it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    for n in 0..50 {
        let user = format!("user-{n}");
        while stack.app.checkout(&user).await != "classic" {
            assert!(
                std::time::Instant::now() < deadline,
                "{user} still gets the new checkout"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

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
}
