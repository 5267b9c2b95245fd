//! The canary controller end to end, with a real Prometheus scraping the real demo
//! application and the real `rollgate` binary (see `super::support`):
//!
//! 1. a healthy release advances through every stage to `completed` by itself (before
//!    it, the preflight of a broken plan against the same Prometheus reports the query
//!    it refuses and the KPI without data);
//! 2. once errors are injected into the treatment, the release rolls back by itself and
//!    OFREP serves control to everyone, within a second of the decision;
//! 3. with Prometheus stopped mid-release, the release holds and then pauses — it never
//!    advances and never rolls back — and the controller resumes it once Prometheus
//!    answers again.
//!
//! Once each release has ended, its validation report is checked against what really
//! happened (`super::report`): stored once and the same bytes on every
//! fetch, in JSON, Markdown and HTML; every stage with its percentage and its opening
//! and closing times; per check the values Prometheus gave for the treatment and the
//! control; the controller's actions (by `system:controller`) and the issues met —
//! only a first interval without data when healthy; the failed check, the rollback and
//! its propagation record (write revision, SDK streams) when rolled back; the query
//! errors, the pause and the resume when Prometheus was away (that release is then
//! promoted by a person to its last stage, which the controller completes). The rolled
//! back release's HTML report is rendered in headless Chromium (`RG_E2E_CHROMIUM`) and
//! screenshotted under `target/report-artifacts/`.
//!
//! Intervals are one second and bakes a few seconds, so each scenario takes well under a
//! minute; every wait is a poll of the release with a deadline.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use rollgate_e2e::chromium::{assert_real_picture, render};
use rollgate_e2e::wait;

use super::report::{actions, assert_spread, check, final_report, health, issues, reached_stages};
use super::support::{Stack, events, of_kind};

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
    super::preflight::reports_refused_queries_and_missing_data(&stack, &plan).await;
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
    wait::until(
        Duration::from_secs(10),
        "the classic checkout for everyone in the application",
        || async {
            for n in 0..50 {
                let user = format!("user-{n}");
                if stack.app.checkout(&user).await != "classic" {
                    return Err(format!("{user} still gets the new checkout"));
                }
            }
            Ok(())
        },
    )
    .await;

    // The report: one stage, rolled back; the error rate of the treatment above the
    // control's and above its bound, as Prometheus measured them.
    let release = stack.release(&id).await;
    let report = final_report(&stack, &id, &release).await;
    let stage = reached_stages(&report, &[30.0, 100.0], 1).remove(0);
    assert_eq!(stage["end"], "rolled_back");
    assert_eq!(stage["verdicts"]["rollback"], 1, "{stage}");
    let summary = check(&stage, "error-rate");
    assert_spread(&summary["treatment"]);
    assert_spread(&summary["control"]);
    let (treatment, control) = (
        summary["treatment"]["last"].as_f64().unwrap(),
        summary["control"]["last"].as_f64().unwrap(),
    );
    assert!(treatment > control && treatment > 0.05, "{summary}");
    assert!(
        ["breached", "regressed"].contains(&summary["outcome"].as_str().unwrap()),
        "{summary}"
    );
    assert_eq!(
        summary["last_verdict"], error_rate["verdict"],
        "the rollback's record"
    );
    assert_spread(&check(&stage, "p99-latency")["treatment"]);
    let last = health(&report, "error-rate").last().unwrap().clone();
    assert!(
        last["treatment"].as_f64().unwrap() > last["control"].as_f64().unwrap(),
        "{last}"
    );
    // Issues: the failed check, answered by the rollback (shown once, by the controller)…
    let failed = issues(&report, "failed_check");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0]["summary"]
            .as_str()
            .unwrap()
            .contains("error-rate")
    );
    let responses = actions(failed[0]);
    let rollbacks: Vec<_> = responses
        .iter()
        .filter(|(_, a)| a.contains("rollback") || a.contains("rolled the release back"))
        .collect();
    assert_eq!(rollbacks.len(), 1, "the rollback once: {responses:?}");
    assert_eq!(rollbacks[0].0, CONTROLLER);
    assert!(
        rollbacks[0].1.starts_with("rolled the release back"),
        "{responses:?}"
    );
    // …the rollback with its propagation record: which write, when, how many streams.
    let rolled_back = issues(&report, "rolled_back");
    assert_eq!(rolled_back.len(), 1);
    let steps = actions(rolled_back[0]);
    assert!(steps.iter().all(|(by, _)| *by == CONTROLLER), "{steps:?}");
    let revision = details["revision"].as_u64().unwrap();
    assert!(
        steps[1].1.contains(&format!("store revision {revision}"))
            && steps[1].1.contains(&format!(
                "{} of {connected} connected SDK stream",
                streams["received"]
            )),
        "{steps:?}"
    );
    let record = &report["rollback"];
    assert_eq!(record["revision"], revision, "{record}");
    assert_eq!(time(&record["written_at"]), time(&details["written_at"]));
    assert_eq!(time(&record["served_at"]), time(&details["served_at"]));
    assert_eq!(record["sdk_streams_connected"], connected);
    assert_eq!(record["sdk_streams_received"], streams["received"]);

    // The real report's page renders in a browser, charts and all.
    let page = stack.report(&id, "?format=html", None).await;
    let rendered = render("controller-rolled-back", &page.text).await;
    assert_real_picture(&rendered.png);
    for chart in ["chart-rollout", "chart-health-0", "chart-health-1"] {
        assert!(rendered.dom.contains(&format!("id=\"{chart}\"")), "{chart}");
    }
    assert!(rendered.dom.contains(&format!("store revision {revision}")));
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
