//! An honest start: the preview says what starting will do, `start` refuses until
//! every warning is acknowledged by code (a 422 for codes unknown or not warned about,
//! nothing half-written), the acknowledgement and the preflight are recorded, and the
//! report shows the flags as the release found them.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::{Value, json};

use super::support::{Desk, canary, manual_clock};

/// Makes `new-checkout` serve `on` to 50 % of everyone in production.
async fn at_fifty_percent(desk: &Desk) {
    let reply = desk
        .server
        .admin(
            Method::PUT,
            "/api/v1/flags/new-checkout",
            Some(json!({
                "variants": { "on": true, "off": false },
                "environments": { "production": {
                    "enabled": true, "off_variant": "off",
                    "default": { "rollout": [ { "variant": "on", "weight": 5000 }, { "variant": "off", "weight": 5000 } ] } } }
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

fn codes(warnings: &Value) -> Vec<String> {
    let mut codes: Vec<String> = warnings
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect();
    codes.dedup();
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_over_a_flag_at_fifty_percent_needs_its_warnings_acknowledged() {
    let desk = Desk::open().await;
    at_fifty_percent(&desk).await;
    let id = desk.approved(canary(&["new-checkout"])).await;

    let preview = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/preview"),
            None,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let body = &preview.body;
    assert_eq!(body["ready"], true, "{body}");
    assert_eq!(
        codes(&body["warnings"]),
        ["exposure_decrease", "cohort_reshuffle"]
    );
    let flag = &body["flags"][0];
    assert_eq!(flag["before"]["default"]["rollout"][0]["weight"], 5000);
    assert_eq!(flag["after"]["salt"], id.as_str());
    let general = flag["exposure"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["audience"] == "general")
        .unwrap();
    assert_eq!(general["before"], json!({ "min": 50, "max": 50 }));
    assert_eq!(general["after"], json!({ "min": 0, "max": 100 }));

    let untouched = desk.release(&id).await["version"].clone();
    let refused = desk.act(&desk.manager, &id, "start", json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.body["field"], "acknowledge");
    assert_eq!(
        codes(&refused.body["warnings"]),
        ["exposure_decrease", "cohort_reshuffle"]
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("exposure_decrease")
    );
    let partly = desk
        .act(
            &desk.manager,
            &id,
            "start",
            json!({ "acknowledge": ["exposure_decrease"] }),
        )
        .await;
    assert_eq!(partly.status, StatusCode::CONFLICT, "{}", partly.body);
    assert_eq!(codes(&partly.body["warnings"]), ["cohort_reshuffle"]);

    for (body, field, fragment) in [
        (
            json!({ "acknowledge": ["exposure_decrease", "cohort_reshufle"] }),
            "acknowledge[1]",
            "unknown warning code",
        ),
        (
            json!({ "acknowledge": ["exposure_decrease", "exposure_decrease"] }),
            "acknowledge[1]",
            "twice",
        ),
        (
            json!({ "acknowledge": ["exposure_decrease", "cohort_reshuffle", "preflight_failed"] }),
            "acknowledge[2]",
            "nothing is warned about preflight_failed",
        ),
        (
            json!({ "acknowledge": "exposure_decrease" }),
            "acknowledge",
            "",
        ),
    ] {
        let reply = desk.act(&desk.manager, &id, "start", body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.body
        );
        assert_eq!(reply.body["field"], field, "{}", reply.body);
        assert!(
            reply.body["detail"].as_str().unwrap().contains(fragment),
            "{}",
            reply.body
        );
    }
    let other = desk
        .act(
            &desk.manager,
            &id,
            "pause",
            json!({ "acknowledge": ["exposure_decrease"] }),
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    let release = desk.release(&id).await;
    assert_eq!(release["version"], untouched, "nothing half-written");
    assert_eq!(release["state"], "approved");
    let flag = desk
        .server
        .admin(Method::GET, "/api/v1/flags/new-checkout", None)
        .await;
    assert_eq!(flag.body["version"], 1);

    let started = desk
        .must(
            &desk.manager,
            &id,
            "start",
            json!({ "acknowledge": ["cohort_reshuffle", "exposure_decrease"], "comment": "50 % was a test" }),
        )
        .await;
    assert_eq!(started["state"], "running");
    let event = started["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "started")
        .unwrap();
    assert_eq!(
        codes(&event["details"]["acknowledged"]),
        ["exposure_decrease", "cohort_reshuffle"]
    );
    assert_eq!(event["by"]["name"], "e2e-release_manager");
    assert_eq!(
        started["baseline"]["new-checkout"]["default"]["rollout"][0]["weight"],
        5000
    );
    let gone = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/preview"),
            None,
        )
        .await;
    assert_eq!(
        gone.status,
        StatusCode::CONFLICT,
        "a started release has no preview"
    );

    let report = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/report"),
            None,
        )
        .await;
    let before = &report.body["before_start"];
    assert_eq!(
        before["flags"][0]["configuration"]["default"]["rollout"][0]["weight"],
        5000
    );
    assert_eq!(
        codes(&before["acknowledged"]),
        ["exposure_decrease", "cohort_reshuffle"]
    );
    let markdown = desk
        .server
        .call(desk.server.request(
            Method::GET,
            &format!("/api/v1/releases/{id}/report?format=md"),
            Some(&desk.viewer),
        ))
        .await;
    let text = markdown.body.as_str().unwrap();
    assert!(text.contains("## Before the start"), "{text}");
    assert!(text.contains("default on 50 % / off 50 %"), "{text}");
    assert!(text.contains("general 50 %"), "{text}");
    assert!(
        text.contains("does not restore the configuration above"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preflight_against_a_stopped_prometheus_blocks_the_start_until_acknowledged() {
    // A port nothing listens on: Prometheus is down.
    let stopped = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut options = manual_clock();
    options
        .env
        .push(("ROLLGATE_PROMETHEUS_URL".to_owned(), stopped.clone()));
    let desk = Desk::around(Server::start_with(options).await).await;
    desk.flag("new-checkout").await;
    let mut plan = canary(&["new-checkout"]);
    plan["analysis"] = json!({
        "prometheus_url": stopped, "interval": "1m",
        "checks": [ { "name": "error-rate", "kind": "ratio",
                      "errors": "sum(increase(errors_total{variant=\"{{variant}}\"}[{{window}}]))",
                      "total": "sum(increase(requests_total{variant=\"{{variant}}\"}[{{window}}]))",
                      "max": 0.05 } ]
    });
    let id = desk.create(plan).await;
    let submitted = desk.must(&desk.manager, &id, "submit", json!({})).await;
    assert_eq!(
        submitted["state"], "pending_approval",
        "submit records, never refuses"
    );
    let preflight = &submitted["preflight"];
    assert_eq!(
        preflight["failed"], 4,
        "both cohorts, errors and total: {preflight}"
    );
    let arms: Vec<&str> = preflight["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["arm"].as_str().unwrap())
        .collect();
    assert_eq!(arms, ["treatment", "treatment", "control", "control"]);
    assert!(
        preflight["queries"][2]["promql"]
            .as_str()
            .unwrap()
            .contains("variant=\"off\"")
    );
    assert_eq!(preflight["queries"][0]["outcome"]["kind"], "error");
    desk.must(&desk.approver, &id, "approve", json!({})).await;
    desk.must(&desk.manager, &id, "checklist/0", json!({ "done": true }))
        .await;

    let refused = desk.act(&desk.manager, &id, "start", json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(codes(&refused.body["warnings"]), ["preflight_failed"]);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("cannot reach Prometheus"),
        "{}",
        refused.body
    );
    let started = desk
        .must(
            &desk.manager,
            &id,
            "start",
            json!({ "acknowledge": ["preflight_failed"] }),
        )
        .await;
    assert_eq!(started["state"], "running");
    assert_eq!(started["preflight"]["failed"], 4);
    let event = started["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "started")
        .unwrap();
    assert_eq!(event["details"]["preflight"]["failed"], 4);
    assert_eq!(
        codes(&event["details"]["acknowledged"]),
        ["preflight_failed"]
    );
}
