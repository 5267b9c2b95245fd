//! A person's action wins over the controller's decision in flight: the controller
//! reads the release, asks Prometheus (held at a gate here), and meanwhile a release
//! manager pauses the release. When the answers come, the controller's write — guarded
//! by the version it read — is refused and the decision dropped; the release stays
//! paused where the person left it, and the operator sees the drop counted by cause on
//! `/metrics`. Once the person resumes, the controller carries on.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::exposition::{parse, value};
use rollgate_e2e::{Options, Server, wait};
use serde_json::{Value, json};

use super::gated::GatedPrometheus;
use super::support::{FLAG, create_flag, events, of_kind, summary};

async fn release(server: &Server, id: &str) -> Value {
    let reply = server
        .admin(Method::GET, &format!("/api/v1/releases/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

async fn act(server: &Server, id: &str, action: &str) {
    let reply = server
        .admin(
            Method::POST,
            &format!("/api/v1/releases/{id}/{action}"),
            Some(json!({ "comment": format!("{action} by hand") })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{action}: {:?}", reply.body);
}

/// `rollgate_controller_decisions_dropped_total{cause}` on the server's `/metrics`.
async fn dropped(server: &Server, cause: &str) -> f64 {
    let samples = parse(&server.metrics().await);
    value(
        &samples,
        "rollgate_controller_decisions_dropped_total",
        &[("cause", cause)],
    )
    .unwrap_or_else(|| panic!("no rollgate_controller_decisions_dropped_total{{cause={cause:?}}}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_pause_while_the_controller_decides_wins_and_the_decision_is_dropped() {
    let prometheus = GatedPrometheus::start().await;
    let server = Server::start_with(Options {
        env: vec![("ROLLGATE_PROMETHEUS_URL".to_owned(), prometheus.url.clone())],
        ..Options::default()
    })
    .await;
    create_flag(&server).await;
    let plan = json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": FLAG, "variant": "on" } ],
        "stages": [
            { "audience": "general", "percent": 30 },
            { "audience": "general", "percent": 100 }
        ],
        "approvals_required": 0,
        "analysis": {
            "prometheus_url": prometheus.url, "interval": "2s", "min_samples": 5,
            "checks": [
                { "name": "error-rate", "kind": "ratio", "critical": true,
                  "errors": "sum(increase(http_requests_total{variant=\"{{variant}}\",code=~\"5..\"}[{{window}}]))",
                  "total": "sum(increase(http_requests_total{variant=\"{{variant}}\"}[{{window}}]))",
                  "max": 0.05 }
            ]
        }
    });
    let created = server
        .admin(Method::POST, "/api/v1/releases", Some(plan))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    // The preflight of submit and start goes through; then the gate holds the
    // controller's first analysis (due one interval, 2 s, after the start).
    prometheus.open();
    act(&server, &id, "submit").await;
    act(&server, &id, "start").await;
    prometheus.close();

    // The controller has read the release and waits for Prometheus; stage 0 has no bake,
    // so the answers it will get mean "advance".
    prometheus.until_asked(1).await;
    act(&server, &id, "pause").await;
    let paused_version = release(&server, &id).await["version"].clone();
    prometheus.open();

    assert_eq!(dropped(&server, "version_conflict").await, 0.0);
    wait::until(
        Duration::from_secs(30),
        "the controller to try and drop its decision",
        || async {
            let count = dropped(&server, "version_conflict").await;
            wait::holds(count >= 1.0, || format!("{count} dropped"))
        },
    )
    .await;
    assert_eq!(dropped(&server, "version_conflict").await, 1.0);
    for other in ["conflict", "refused", "lease_lost"] {
        assert_eq!(dropped(&server, other).await, 0.0, "{other}");
    }
    let after = release(&server, &id).await;
    assert_eq!(after["state"], "paused", "{}", summary(&after));
    assert_eq!(after["current_stage"], 0);
    assert_eq!(
        after["version"], paused_version,
        "nothing was written after the pause"
    );
    let last = events(&after).last().unwrap();
    assert_eq!(
        (last["event"].clone(), last["by"]["id"].clone()),
        (json!("paused"), json!("bootstrap"))
    );
    assert!(of_kind(&after, "stage_advanced").is_empty());

    // The person resumes: the controller analyses afresh and advances.
    act(&server, &id, "resume").await;
    let now = wait::until(Duration::from_secs(30), "a stage advanced", || async {
        let now = release(&server, &id).await;
        if of_kind(&now, "stage_advanced").is_empty() {
            Err(summary(&now))
        } else {
            Ok(now)
        }
    })
    .await;
    let advanced = of_kind(&now, "stage_advanced")[0];
    assert_eq!(advanced["by"]["id"], "system:controller");
    assert_eq!(advanced["stage"], 1);
}
