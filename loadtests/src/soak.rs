//! Sustained load (loadtests/README.md, Targets): a release `rollgate` held at half of its
//! measured maximum for a long time (10 minutes by default) with a realistic mix — OFREP
//! single-flag and bulk evaluations and SDK ruleset downloads — while admin writes change
//! a rollout at a steady rate. Targets: 0 errors, and RSS growth ≤ 5 % after warm-up.
//!
//! The server's `VmRSS` is sampled at a fixed period while the load runs; growth is the
//! highest sample after the warm-up over the first sample after it, and the same over
//! the second half of the run alone (a leak keeps growing there; a bounded cache filling
//! up does not). Everything runs on loopback and the run is bounded by its duration
//! plus the generator's bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hyper::StatusCode;
use serde::Serialize;

use crate::generator::{self, Mode, Outcome, Plan, Workload};
use crate::scenarios::{self, Scenario};
use crate::server::{ADMIN_TOKEN, Spawned};
use crate::{seed, suite};

/// What to run.
#[derive(Clone, Debug)]
pub struct Soak {
    /// How long the load is held.
    pub duration: Duration,
    /// The first part of `duration` whose memory does not count (caches filling).
    pub warmup: Duration,
    /// How often the server's RSS is read.
    pub sample_every: Duration,
    /// Keep-alive connections of the reads.
    pub connections: usize,
    /// Seconds of the closed-loop run that finds the maximum.
    pub probe: Duration,
    /// Admin writes per second alongside the reads.
    pub write_rate: f64,
    /// Longest wait for one response.
    pub timeout: Duration,
}

/// One reading of the server's memory.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the sustained load started.
    pub at_s: f64,
    /// `VmRSS` in KiB.
    pub rss_kib: u64,
}

/// How memory moved after the warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Growth {
    /// The first sample at or after the warm-up.
    pub after_warmup_kib: u64,
    /// The highest sample at or after the warm-up.
    pub peak_kib: u64,
    /// The last sample.
    pub end_kib: u64,
    /// `peak` over `after_warmup`, in percent above it.
    pub percent: f64,
}

/// What a soak measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Closed-loop maximum of the read mix, requests per second.
    pub max_per_s: f64,
    /// The open-loop rate held (half of the maximum).
    pub rate_per_s: f64,
    /// The reads over the whole duration.
    pub reads: Outcome,
    /// The admin writes over the whole duration.
    pub writes: Outcome,
    /// Server CPU per read (writes included), µs.
    pub server_cpu_us_per_read: f64,
    /// Every memory sample.
    pub samples: Vec<Sample>,
    /// Growth after the warm-up (`None` when no sample fell after it).
    pub growth: Option<Growth>,
    /// Growth over the second half of the run alone: what a leak would show once
    /// bounded caches (the store's page cache, the stream's resume history) are full.
    pub second_half: Option<Growth>,
}

/// Memory growth of `samples` after `warmup` seconds.
pub fn growth(samples: &[Sample], warmup: f64) -> Option<Growth> {
    let after: Vec<&Sample> = samples.iter().filter(|s| s.at_s >= warmup).collect();
    let first = after.first()?.rss_kib;
    let peak = after.iter().map(|s| s.rss_kib).max()?;
    let end = after.last()?.rss_kib;
    Some(Growth {
        after_warmup_kib: first,
        peak_kib: peak,
        end_kib: end,
        percent: if first == 0 {
            0.0
        } else {
            (peak as f64 / first as f64 - 1.0) * 100.0
        },
    })
}

/// The read mix: single-flag and bulk evaluations and ruleset downloads, all `200`.
async fn reads(address: std::net::SocketAddr, sdk_key: &str) -> anyhow::Result<Workload> {
    let mut requests = Vec::new();
    for scenario in [Scenario::OfrepFlag, Scenario::OfrepBulk, Scenario::Ruleset] {
        let traffic = scenarios::traffic(scenario, address, sdk_key, ADMIN_TOKEN)
            .await
            .map_err(|e| anyhow::anyhow!("{} is not available: {}", scenario.name(), e.0))?;
        requests.extend(traffic.reads);
    }
    Ok(Workload {
        address,
        requests,
        expected: vec![StatusCode::OK],
    })
}

/// Holds `server` (fresh, seeded here) at half of its maximum for `soak.duration`.
pub async fn run(server: &Spawned, soak: &Soak) -> anyhow::Result<Report> {
    let address = suite::address(server.url.trim_start_matches("http://"))?;
    let sdk_key = seed::seed(address, ADMIN_TOKEN, 50).await?;
    let reads = Arc::new(reads(address, &sdk_key).await?);
    let writes = scenarios::traffic(Scenario::ReadsDuringWrites, address, &sdk_key, ADMIN_TOKEN)
        .await
        .map_err(|e| anyhow::anyhow!("admin writes are not available: {}", e.0))?
        .writes;
    let writes = Arc::new(Workload {
        address,
        requests: writes,
        expected: vec![StatusCode::OK],
    });
    let plan = |connections, duration, mode| Plan {
        connections,
        duration,
        mode,
        timeout: soak.timeout,
    };
    let probe = generator::run(
        Arc::clone(&reads),
        plan(soak.connections, soak.probe, Mode::Closed),
    )
    .await;
    anyhow::ensure!(
        probe.error_count() == 0,
        "the maximum run had errors: {:?}",
        probe.errors
    );
    let rate = probe.requests_per_s / 2.0;
    let cpu_before = server.cpu_time()?;
    let started = Instant::now();
    let reading = tokio::spawn(generator::run(
        reads,
        plan(soak.connections, soak.duration, Mode::Open { rate }),
    ));
    let writing = tokio::spawn(generator::run(
        writes,
        plan(
            2,
            soak.duration,
            Mode::Open {
                rate: soak.write_rate,
            },
        ),
    ));
    let mut samples = Vec::new();
    let mut ticks = tokio::time::interval(soak.sample_every);
    while !reading.is_finished() || !writing.is_finished() {
        ticks.tick().await;
        let (rss_kib, _) = server.memory_kib()?;
        samples.push(Sample {
            at_s: started.elapsed().as_secs_f64(),
            rss_kib,
        });
    }
    let reads = reading.await.context("the reads task failed")?;
    let writes = writing.await.context("the writes task failed")?;
    let cpu = server.cpu_time()?.saturating_sub(cpu_before);
    Ok(Report {
        max_per_s: probe.requests_per_s,
        rate_per_s: rate,
        server_cpu_us_per_read: cpu.as_secs_f64() * 1e6 / reads.answered().max(1) as f64,
        growth: growth(&samples, soak.warmup.as_secs_f64()),
        second_half: growth(&samples, soak.duration.as_secs_f64() / 2.0),
        reads,
        writes,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_s: f64, rss_kib: u64) -> Sample {
        Sample { at_s, rss_kib }
    }

    #[test]
    fn growth_counts_from_the_first_sample_after_the_warmup_to_the_peak() {
        let samples = [at(10.0, 50), at(60.0, 100), at(70.0, 104), at(80.0, 102)];
        let growth = growth(&samples, 60.0);
        assert_eq!(
            growth.map(|g| (g.after_warmup_kib, g.peak_kib, g.end_kib)),
            Some((100, 104, 102))
        );
        let percent = growth.map_or(f64::NAN, |g| g.percent);
        assert!((percent - 4.0).abs() < 1e-9, "{percent}");
    }

    #[test]
    fn no_sample_after_the_warmup_means_no_figure() {
        assert_eq!(growth(&[at(10.0, 50)], 60.0), None);
        assert_eq!(growth(&[], 0.0), None);
    }

    #[test]
    fn memory_that_only_falls_after_the_warmup_has_no_growth() {
        let samples = [at(60.0, 100), at(70.0, 90)];
        assert_eq!(growth(&samples, 60.0).map(|g| g.percent), Some(0.0));
    }
}
