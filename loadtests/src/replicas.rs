//! Replicas on Redis against the embedded store, in the same run on the same machine:
//! OFREP throughput of a Redis-backed replica and of an embedded server (evaluation
//! never touches the store, so the target is a ratio ≥ 0.95), admin writes per second
//! on each store, and how fast a write through one replica reaches 1 000 SSE streams on
//! another.
//!
//! Redis is Debian's `redis-server` (`$RG_E2E_REDIS_SERVER`, else the one on the PATH),
//! started on a free loopback port with `appendonly yes` and `appendfsync always` — the
//! settings under which a write is durable when acknowledged, so writes per second
//! include an fsync per commit on both stores.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;

use crate::generator::{self, Mode, Plan, Workload};
use crate::propagation::{self, Report};
use crate::scenarios::{Scenario, traffic};
use crate::seed;
use crate::server::{ADMIN_TOKEN, Spawned};

/// One round's throughput of both servers.
#[derive(Clone, Copy, Debug)]
pub struct Round {
    /// Embedded store, evaluations per second.
    pub embedded: f64,
    /// Redis store, evaluations per second.
    pub redis: f64,
}

/// Everything the run measured.
#[derive(Debug)]
pub struct Measured {
    /// OFREP single-flag throughput, per round.
    pub rounds: Vec<Round>,
    /// Admin writes per second: embedded, Redis.
    pub writes: (f64, f64),
    /// Propagation from one replica to 1 000 streams on another.
    pub propagation: Report,
    /// The same on the embedded server alone (write and streams on one process), in the
    /// same run: what the machine allows at that moment.
    pub local_propagation: Report,
}

/// OFREP single-flag evaluations per second against `server`, closed loop.
async fn throughput(
    server: &Spawned,
    key: &str,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<f64> {
    let address = server.url.trim_start_matches("http://").parse()?;
    let traffic = traffic(Scenario::OfrepFlag, address, key, ADMIN_TOKEN)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let workload = Arc::new(Workload {
        address,
        requests: traffic.reads,
        expected: vec![traffic.expected],
    });
    let plan = |duration| Plan {
        connections,
        duration,
        mode: Mode::Closed,
        timeout: Duration::from_secs(5),
    };
    generator::run(Arc::clone(&workload), plan(Duration::from_secs(1))).await;
    let outcome = generator::run(workload, plan(Duration::from_secs(seconds))).await;
    anyhow::ensure!(outcome.error_count() == 0, "errors: {}", outcome.line());
    Ok(outcome.answered() as f64 / seconds as f64)
}

/// Flags created per second through the admin API by `writers` concurrent writers,
/// each write acknowledged once durable and served.
async fn writes(server: &Spawned, writers: usize, seconds: u64) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let (url, done) = (server.url.clone(), Arc::clone(&done));
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0u64;
            while Instant::now() < end {
                let key = format!("w-{writer}-{n}");
                let flag = json!({ "key": key, "variants": { "on": true, "off": false },
                    "environments": { "production": { "enabled": true, "off_variant": "off",
                        "default": { "variant": "on" } } } });
                let answer = http
                    .put(format!("{url}/api/v1/flags/{key}"))
                    .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
                    .header("Content-Type", "application/json")
                    .body(flag.to_string())
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                if answer.is_ok_and(|a| a.status().as_u16() == 201) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / seconds as f64)
}

/// Runs everything against `redis_url`: `rounds` alternating throughput rounds, writes,
/// then propagation across two replicas with `streams` streams on the second.
pub async fn run(
    binary: &std::path::Path,
    redis_url: &str,
    rounds: usize,
    streams: usize,
) -> anyhow::Result<Measured> {
    let limit = (streams + 10).to_string();
    let common = [
        ("ROLLGATE_LIMITS__MAX_STREAMS_PER_SDK_KEY", limit.as_str()),
        ("ROLLGATE_STREAM__HEARTBEAT_INTERVAL", "30s"),
    ];
    let with_redis = [common[0], common[1], ("ROLLGATE_REDIS_URL", redis_url)];
    let embedded = Spawned::start(binary, &common).await?;
    let redis = Spawned::start(binary, &with_redis).await?;
    let address = |s: &Spawned| s.url.trim_start_matches("http://").parse();
    let embedded_key = seed::seed(address(&embedded)?, ADMIN_TOKEN, 50).await?;
    let redis_key = seed::seed(address(&redis)?, ADMIN_TOKEN, 50).await?;
    let mut measured = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (e, r) = if round % 2 == 0 {
            let e = throughput(&embedded, &embedded_key, 32, 5).await?;
            (e, throughput(&redis, &redis_key, 32, 5).await?)
        } else {
            let r = throughput(&redis, &redis_key, 32, 5).await?;
            (throughput(&embedded, &embedded_key, 32, 5).await?, r)
        };
        eprintln!("round {}: embedded {e:.0}/s, redis {r:.0}/s", round + 1);
        measured.push(Round {
            embedded: e,
            redis: r,
        });
    }
    let written = (writes(&embedded, 4, 5).await?, writes(&redis, 4, 5).await?);
    eprintln!(
        "writes: embedded {:.0}/s, redis {:.0}/s",
        written.0, written.1
    );
    let scenario = propagation::Scenario {
        clients: streams,
        changes: 5,
        connect_concurrency: 100,
        timeout: Duration::from_secs(60),
    };
    let local_propagation = propagation::run(&embedded, &scenario).await?;
    drop(embedded);

    let reader = Spawned::start(binary, &with_redis)
        .await
        .context("a second replica")?;
    let report = propagation::run_across(&redis, &reader, &scenario).await?;
    Ok(Measured {
        rounds: measured,
        writes: written,
        propagation: report,
        local_propagation,
    })
}
