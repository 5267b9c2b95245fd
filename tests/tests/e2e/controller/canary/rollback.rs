//! Errors injected into the treatment roll the release back by itself, OFREP serves
//! control to everyone within a second of the decision, and the report shows the failed
//! check, the rollback and its propagation record; its HTML is rendered in Chromium.

use std::time::Duration;

use rollgate_e2e::chromium::{assert_real_picture, render};
use rollgate_e2e::wait;
use serde_json::json;

use super::super::report::{
    actions, assert_spread, check, final_report, health, issues, reached_stages,
};
use super::super::support::{Stack, of_kind};
use super::{CONTROLLER, by_controller, time};

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
