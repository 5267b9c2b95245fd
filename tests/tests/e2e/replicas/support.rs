//! What the replica tests share: a real Redis (durable settings, free port) and several
//! `rollgate serve --redis …` on it with short leases, plus the questions every test
//! asks of them — has every replica caught up, do they serve the same thing.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use rollgate_e2e::redis::RedisServer;
use rollgate_e2e::{Options, Server, ofrep, wait};
use serde_json::{Value, json};

use crate::sdk::support::{DEADLINE, fast_options};

/// The lease time of every background task in these tests: short, so that takeovers
/// happen within a test's patience.
pub const LEASE_TTL: &str = "1500ms";

/// Options for a replica on `redis_url`, with `extra` environment variables.
pub fn replica_options(redis_url: &str, extra: &[(&str, &str)]) -> Options {
    let mut env = vec![
        ("ROLLGATE_TASKS__LEASE_TTL", LEASE_TTL),
        ("ROLLGATE_LOG__LEVEL", "info"),
    ];
    env.extend_from_slice(extra);
    let mut options = fast_options(&env);
    options.args = vec!["--redis".to_owned(), redis_url.to_owned()];
    options.capture_stderr = true;
    options
}

/// A Redis and the replicas that share it.
pub struct Cluster {
    /// The Redis.
    pub redis: RedisServer,
    /// The replicas, in the order they were started.
    pub replicas: Vec<Server>,
}

impl Cluster {
    /// Starts a Redis and `count` replicas on it at once (they race to seed the store).
    pub async fn start(count: usize, extra: &[(&str, &str)]) -> Cluster {
        let redis = RedisServer::start().await;
        let url = redis.url();
        let replicas =
            join_all((0..count).map(|_| Server::start_with(replica_options(&url, extra)))).await;
        Cluster { redis, replicas }
    }

    /// Waits until every replica serves the same revision, at least `revision`;
    /// returns it.
    pub async fn converged(&self, revision: u64) -> u64 {
        wait::until(DEADLINE, "every replica at one revision", || async {
            let served = join_all(self.replicas.iter().map(served_revision)).await;
            let first = served[0];
            if first >= revision && served.iter().all(|r| *r == first) {
                Ok(first)
            } else {
                Err(format!("served revisions {served:?}, want ≥ {revision}"))
            }
        })
        .await
    }
}

/// `/readyz` of a server: status and body.
pub async fn readiness(server: &Server) -> (StatusCode, Value) {
    let reply = server
        .call(server.request(Method::GET, "/readyz", None))
        .await;
    (reply.status, reply.body)
}

/// The revision a server serves.
pub async fn served_revision(server: &Server) -> u64 {
    readiness(server).await.1["served_revision"]
        .as_u64()
        .unwrap()
}

/// The bulk OFREP ETag of `key`'s environment on `server`: equal ETags, equal answers.
pub async fn bulk_etag(server: &Server, key: &str) -> String {
    let raw = ofrep::bulk(server, key, r#"{"context":{"targetingKey":"u1"}}"#, None).await;
    raw.header("etag").unwrap().to_owned()
}

/// A flag `key` on in production, with `value` as its description (to tell writes apart).
pub fn flag(key: &str, value: u64) -> Value {
    json!({
        "key": key, "description": format!("write {value}"),
        "variants": { "on": true, "off": false },
        "environments": { "production": {
            "enabled": true, "off_variant": "off", "default": { "variant": "on" } } }
    })
}

/// A sample of `name` (with `labels`) from a server's `/metrics`.
pub async fn metric(server: &Server, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = server.metrics().await;
    let samples = rollgate_e2e::exposition::parse(&text);
    rollgate_e2e::exposition::value(&samples, name, labels)
}

/// How long a takeover may take: the lease's time, and the holder's own margin.
pub const TAKEOVER: Duration = Duration::from_secs(5);
