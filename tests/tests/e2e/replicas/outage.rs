//! Redis goes away: every replica keeps evaluating from memory (OFREP and open SDK
//! streams) with no error at all, writes answer `503` problem+json fast instead of
//! hanging, the metrics say the store is out of reach, and readiness holds. Redis
//! comes back from its append-only file: writes work again, nothing acknowledged is
//! lost, and every replica converges on the same revision and answers. A replica
//! started while Redis is down says so, stays not ready, and becomes ready once it has
//! loaded the catalog.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use rollgate_e2e::redis::RedisServer;
use rollgate_e2e::{Server, free_port, ofrep, wait};
use serde_json::json;

use super::support::{Cluster, bulk_etag, flag, metric, readiness, replica_options};
use crate::sdk::support::{DEADLINE, RawStream, put_flag};

/// How long Redis stays down.
const OUTAGE: Duration = Duration::from_secs(10);

/// A bound that catches a write hanging on a dead Redis — a correctness bound, not a
/// benchmark (the deadline of each Redis call is 750 ms).
const FAST: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_seconds_without_redis_cost_no_evaluation_writes_fail_fast_and_nothing_acknowledged_is_lost()
 {
    let mut cluster = Cluster::start(3, &[]).await;
    let first = &cluster.replicas[0];
    let key = first.sdk_key("production").await;
    let mut acknowledged = Vec::new();
    for n in 0..5 {
        let name = format!("before-{n}");
        put_flag(&cluster.replicas[n as usize % 3], flag(&name, n)).await;
        acknowledged.push(name);
    }
    let revision = cluster.converged(0).await;
    let mut streams = Vec::new();
    for replica in &cluster.replicas {
        let mut stream = RawStream::open(replica, "/sdk/v1/stream", Some(&key), &[]).await;
        assert_eq!(stream.next().await.unwrap().name, "ruleset");
        streams.push(stream);
    }

    cluster.redis.kill();
    let down = Instant::now();
    let mut evaluations = 0u64;
    let mut refused_writes = 0;
    while down.elapsed() < OUTAGE {
        for (n, replica) in cluster.replicas.iter().enumerate() {
            let answer =
                ofrep::evaluate_for(replica, &key, "before-1", json!({"targetingKey": "u"})).await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "evaluation failed during the outage: {}",
                answer.text
            );
            assert_eq!(answer.json()["value"], true);
            evaluations += 1;
            if evaluations % 200 == n as u64 {
                let started = Instant::now();
                let write = replica
                    .admin(Method::PUT, "/api/v1/flags/during", Some(flag("during", 0)))
                    .await;
                let took = started.elapsed();
                assert_eq!(
                    write.status,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "{:?}",
                    write.body
                );
                assert_eq!(
                    write.header("content-type"),
                    Some("application/problem+json")
                );
                assert!(
                    write.body["type"]
                        .as_str()
                        .unwrap()
                        .ends_with("/store-unavailable")
                );
                assert!(took < FAST, "a write took {took:?} to fail");
                refused_writes += 1;
            }
        }
    }
    assert!(refused_writes >= 3, "{refused_writes} writes tried");
    for replica in &cluster.replicas {
        let (status, body) = readiness(replica).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["store_available"], false, "{body}");
        assert_eq!(body["served_revision"], revision);
        assert_eq!(
            metric(replica, "rollgate_store_available", &[]).await,
            Some(0.0)
        );
        let age = metric(replica, "rollgate_served_age_seconds", &[])
            .await
            .unwrap();
        assert!(
            age > 5.0,
            "the served age says {age} s after {OUTAGE:?} without Redis"
        );
    }

    cluster.redis.restart().await;
    let written = wait::until(DEADLINE, "a write to succeed again", || async {
        let reply = cluster.replicas[1]
            .admin(Method::PUT, "/api/v1/flags/after", Some(flag("after", 0)))
            .await;
        if reply.status == StatusCode::CREATED {
            Ok(())
        } else {
            Err(format!("{} {}", reply.status, reply.body))
        }
    })
    .await;
    let () = written;
    acknowledged.push("after".to_owned());
    cluster.converged(revision + 1).await;
    // The streams stayed open through the outage and carry the change made after it.
    for stream in &mut streams {
        let event = stream.next().await.expect("the stream stayed open");
        assert_eq!(event.name, "change");
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["flags"][0]["key"], "after", "{data}");
    }
    for replica in &cluster.replicas {
        let keys = replica.keys("/api/v1/flags").await;
        for name in &acknowledged {
            assert!(keys.contains(name), "{name} lost: {keys:?}");
        }
        assert!(!keys.contains(&"during".to_owned()));
    }
    let etags = join_all(cluster.replicas.iter().map(|r| bulk_etag(r, &key))).await;
    assert!(etags.iter().all(|e| *e == etags[0]), "{etags:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_started_while_redis_is_down_says_so_and_is_ready_once_it_has_loaded() {
    let mut redis = RedisServer::start().await;
    redis.kill();
    let port = free_port();
    let mut options = replica_options(&redis.url(), &[("ROLLGATE_LOG__LEVEL", "info")]);
    options.port = Some(port);
    let starting = tokio::spawn(Server::start_with(options));
    let readyz = format!("http://127.0.0.1:{port}/readyz");
    let http = reqwest::Client::new();
    // Not ready, and it has tried the store and found it out of reach.
    let body = wait::until(
        DEADLINE,
        "/readyz to say the store is out of reach",
        || async {
            let response = http.get(&readyz).send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
            if status == StatusCode::SERVICE_UNAVAILABLE && body["detail"].is_string() {
                Ok(body)
            } else {
                Err(format!("{status} {body}"))
            }
        },
    )
    .await;
    assert_eq!(body["status"], "loading", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("store out of reach"),
        "{body}"
    );
    let refused = http
        .post(format!("http://127.0.0.1:{port}/ofrep/v1/evaluate/flags/x"))
        .bearer_auth("rg_sdk_anything")
        .json(&json!({"context": {"targetingKey": "u"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !starting.is_finished(),
        "it must not be ready without the store"
    );

    redis.restart().await;
    let server = starting.await.unwrap();
    let (status, body) = readiness(&server).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["store_available"], true);
    let logs = server.stderr().join("\n");
    assert!(
        logs.contains("store out of reach at start; not ready until the catalog is loaded"),
        "{logs}"
    );
    assert!(
        logs.contains("store reached; catalog loaded, now ready"),
        "{logs}"
    );
    let key = server.sdk_key("production").await;
    assert_eq!(
        ofrep::evaluate_for(&server, &key, "missing", json!({"targetingKey": "u"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
