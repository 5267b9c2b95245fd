//! One leader per background task across three replicas. The canary controller's
//! replica is killed in the middle of a release: another takes the lease over within
//! its time and the release gets one analysis per interval throughout — never two for
//! one interval, never a gap longer than the takeover. Webhook deliveries made through
//! every replica reach the receiver exactly once each, also after the sending replica
//! was killed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use rollgate_e2e::prometheus_stub::PrometheusStub;
use rollgate_e2e::{Server, wait};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::support::{Cluster, TAKEOVER, metric};
use crate::controller::support::{FLAG, events, of_kind, summary};
use crate::releases::webhooks::receiver;

/// The replica that holds `task`'s lease, once exactly one does.
async fn leader(replicas: &[Server], task: &str) -> usize {
    wait::until(
        Duration::from_secs(20),
        &format!("one {task} leader"),
        || async {
            let labels = [("task", task)];
            let held = join_all(
                replicas
                    .iter()
                    .map(|r| metric(r, "rollgate_leader", &labels)),
            )
            .await;
            let leaders: Vec<usize> = (0..held.len()).filter(|i| held[*i] == Some(1.0)).collect();
            match leaders[..] {
                [one] => Ok(one),
                _ => Err(format!("{held:?}")),
            }
        },
    )
    .await
}

async fn release(server: &Server, id: &str) -> Value {
    let reply = server
        .admin(Method::GET, &format!("/api/v1/releases/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

async fn act(server: &Server, id: &str, action: &str) -> Value {
    let reply = server
        .admin(
            Method::POST,
            &format!("/api/v1/releases/{id}/{action}"),
            Some(json!({ "comment": action })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{action}: {}", reply.body);
    reply.body
}

/// When each analysis was decided: its record's time, which the next one is scheduled
/// from (the event's own time is when its write landed, later by the queries' time).
fn analyses(release: &Value) -> Vec<OffsetDateTime> {
    of_kind(release, "analysis")
        .iter()
        .map(|e| {
            let at = e["analysis"]["at"]
                .as_str()
                .unwrap_or_else(|| panic!("{e}"));
            OffsetDateTime::parse(at, &Rfc3339).unwrap()
        })
        .collect()
}

/// Waits until release `id` has `count` analyses.
async fn until_analyses(server: &Server, id: &str, count: usize) {
    wait::until(
        Duration::from_secs(30),
        &format!("{count} analyses"),
        || async {
            let now = release(server, id).await;
            let done = analyses(&now).len();
            wait::holds(done >= count, || format!("{done}: {}", summary(&now)))
        },
    )
    .await;
}

/// A running canary of [`FLAG`] whose analysis asks `prometheus` every second.
async fn running_canary(server: &Server, prometheus: &str) -> String {
    let flag = json!({
        "key": FLAG, "variants": { "on": true, "off": false },
        "environments": { "production": {
            "enabled": true, "off_variant": "off", "default": { "variant": "off" } } }
    });
    let created = server
        .admin(Method::PUT, &format!("/api/v1/flags/{FLAG}"), Some(flag))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let plan = json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": FLAG, "variant": "on" } ],
        "stages": [
            { "audience": "general", "percent": 30 },
            { "audience": "general", "percent": 100 }
        ],
        "approvals_required": 0,
        "analysis": {
            "prometheus_url": prometheus, "interval": "1s", "min_samples": 5,
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
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    act(server, &id, "submit").await;
    act(server, &id, "start").await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controllers_replica_killed_mid_release_is_replaced_within_the_lease_with_one_analysis_per_interval()
 {
    // No data, ever: the controller holds the stage and records one analysis per interval.
    let prometheus = PrometheusStub::start(Arc::new(|_: &str| None)).await;
    let mut cluster = Cluster::start(3, &[("ROLLGATE_PROMETHEUS_URL", &prometheus.url)]).await;
    let id = running_canary(&cluster.replicas[0], &prometheus.url).await;
    until_analyses(&cluster.replicas[0], &id, 3).await;

    let killed = leader(&cluster.replicas, "controller").await;
    cluster.replicas.remove(killed).kill().await;
    let before = analyses(&release(&cluster.replicas[0], &id).await).len();
    until_analyses(&cluster.replicas[0], &id, before + 3).await;
    let successor = leader(&cluster.replicas, "controller").await;

    let now = release(&cluster.replicas[successor], &id).await;
    assert_eq!(now["state"], "running", "{}", summary(&now));
    assert_eq!(now["current_stage"], 0, "{}", summary(&now));
    assert!(
        of_kind(&now, "stage_advanced").is_empty(),
        "{}",
        summary(&now)
    );
    let times = analyses(&now);
    let gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_seconds_f64())
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap >= 0.9),
        "two analyses within one interval: {gaps:?}"
    );
    assert!(
        gaps.iter().all(|gap| *gap <= TAKEOVER.as_secs_f64() + 1.0),
        "the takeover took longer than the lease allows: {gaps:?}"
    );
    let by: Vec<&Value> = events(&now).iter().map(|e| &e["by"]["id"]).collect();
    assert!(
        by.iter()
            .all(|b| **b == "bootstrap" || **b == "system:controller"),
        "{by:?}"
    );
}

/// Every release event a webhook can carry, made through the replicas in turn.
async fn release_events(replicas: &[Server], count: usize) {
    for n in 0..count {
        let through = &replicas[n % replicas.len()];
        let key = format!("hooked-{n}-{}", replicas.len());
        let flag = json!({
            "key": key, "variants": { "on": true, "off": false },
            "environments": { "production": {
                "enabled": true, "off_variant": "off", "default": { "variant": "off" } } }
        });
        let created = through
            .admin(Method::PUT, &format!("/api/v1/flags/{key}"), Some(flag))
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let plan = json!({
            "name": format!("Release {key}"), "release_version": "1.0.0",
            "environment": "production", "flags": [ { "key": key, "variant": "on" } ],
            "stages": [ { "audience": "general", "percent": 100 } ],
            "approvals_required": 0
        });
        let created = through
            .admin(Method::POST, "/api/v1/releases", Some(plan))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        for (step, action) in ["submit", "start", "pause", "resume", "promote"]
            .iter()
            .enumerate()
        {
            act(&replicas[(n + step) % replicas.len()], &id, action).await;
        }
    }
}

/// Waits until every delivery in `hook`'s log is delivered and was received.
async fn settled(
    replicas: &[Server],
    hook: &str,
    counts: &Mutex<BTreeMap<String, usize>>,
) -> Vec<Value> {
    let path = format!("/api/v1/webhooks/{hook}/deliveries");
    wait::until(
        Duration::from_secs(30),
        "every delivery delivered",
        || async {
            let log = replicas[0].admin(Method::GET, &path, None).await.body;
            let log = log.as_array().unwrap().clone();
            let counts = counts.lock().unwrap().clone();
            let delivered = log.iter().filter(|d| d["state"] == "delivered").count();
            let received_all = log
                .iter()
                .all(|d| counts.contains_key(d["id"].as_str().unwrap()));
            if delivered == log.len() && received_all && !log.is_empty() {
                Ok(log)
            } else {
                Err(format!(
                    "{delivered} of {} delivered, {} received",
                    log.len(),
                    counts.len()
                ))
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_receiver_gets_each_delivery_exactly_once_from_three_replicas() {
    // The receiver listens on loopback.
    let mut cluster = Cluster::start(
        3,
        &[("ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS", "localhost")],
    )
    .await;
    let (url, mut received) = receiver(0).await;
    let counts: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    {
        let counts = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Some(delivery) = received.recv().await {
                let id = delivery.headers["rollgate-delivery"].clone();
                *counts.lock().unwrap().entry(id).or_default() += 1;
            }
        });
    }
    let events = ["approved", "started", "paused", "resumed", "completed"];
    let created = cluster.replicas[1]
        .admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": url, "events": events })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let hook = created.body["id"].as_str().unwrap().to_owned();

    release_events(&cluster.replicas, 3).await;
    let first = settled(&cluster.replicas, &hook, &counts).await;
    assert_eq!(first.len(), 3 * events.len(), "one delivery per event");

    let sender = leader(&cluster.replicas, "webhooks").await;
    cluster.replicas.remove(sender).kill().await;
    release_events(&cluster.replicas, 2).await;
    let all = settled(&cluster.replicas, &hook, &counts).await;
    assert_eq!(all.len(), 5 * events.len());

    let counts = counts.lock().unwrap().clone();
    let repeated: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    assert_eq!(counts.len(), all.len());
    for delivery in &all {
        assert_eq!(
            delivery["attempts"].as_array().unwrap().len(),
            1,
            "{delivery}"
        );
    }
}
