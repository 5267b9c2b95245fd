//! What a run measured: counts, errors by kind, and the latency histogram, reduced to the
//! figures a report quotes (requests/s, p50, p90, p99, p99.9, max).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency the histogram tracks, in microseconds (larger ones are clamped).
const MAX_LATENCY_US: u64 = 120_000_000;

/// A latency histogram in microseconds with three significant figures.
#[allow(
    clippy::expect_used,
    reason = "constant bounds that hdrhistogram accepts; a test builds one"
)]
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds")
}

/// Counters of one connection (merged into an [`Outcome`] at the end).
#[derive(Debug)]
pub struct Tally {
    /// Responses with an expected status.
    pub ok: u64,
    /// Failures by kind (`status 404`, `timeout`, `connect: …`, …).
    pub errors: BTreeMap<String, u64>,
    /// Latency of every response (any status), from its intended send time.
    pub latency: Histogram<u64>,
    /// Response body bytes.
    pub bytes: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            ok: 0,
            errors: BTreeMap::new(),
            latency: latency_histogram(),
            bytes: 0,
        }
    }
}

impl Tally {
    /// Counts one failure of `kind`.
    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    /// Records a response's latency.
    pub fn latency(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency.saturating_record(micros);
    }

    /// Adds another connection's counters.
    pub fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.bytes += other.bytes;
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
    }
}

/// Latency percentiles in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

impl Percentiles {
    /// The percentiles of `histogram` (all zero when it is empty).
    pub fn of(histogram: &Histogram<u64>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            mean: histogram.mean(),
        }
    }
}

/// The result of one run.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Outcome {
    /// Responses with an expected status.
    pub ok: u64,
    /// Failures by kind; `unsent` counts open-loop tickets the run gave up on.
    pub errors: BTreeMap<String, u64>,
    /// Seconds from the start of the timeline to the last response.
    pub elapsed_s: f64,
    /// Expected responses per second over `elapsed_s`.
    pub requests_per_s: f64,
    /// Latency of every response, from its intended send time.
    pub latency_us: Percentiles,
    /// Mean response body size.
    pub mean_body_bytes: f64,
}

impl Outcome {
    /// Reduces the merged counters of a run that lasted `elapsed`.
    pub fn new(tally: &Tally, elapsed: Duration) -> Outcome {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let answered = tally.latency.len();
        Outcome {
            ok: tally.ok,
            errors: tally.errors.clone(),
            elapsed_s: elapsed.as_secs_f64(),
            requests_per_s: tally.ok as f64 / seconds,
            latency_us: Percentiles::of(&tally.latency),
            mean_body_bytes: if answered == 0 {
                0.0
            } else {
                tally.bytes as f64 / answered as f64
            },
        }
    }

    /// All failures together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Requests that got an answer or failed: everything attempted.
    pub fn answered(&self) -> u64 {
        self.ok + self.error_count()
    }

    /// Runs one after another taken as one: counts and times add up; each latency
    /// figure is the worst of the runs (the histograms are gone by now).
    pub fn combine(runs: &[Outcome]) -> Outcome {
        let mut errors = BTreeMap::new();
        for run in runs {
            for (kind, count) in &run.errors {
                *errors.entry(kind.clone()).or_default() += count;
            }
        }
        let ok = runs.iter().map(|r| r.ok).sum::<u64>();
        let elapsed_s = runs.iter().map(|r| r.elapsed_s).sum::<f64>();
        let worst =
            |f: fn(&Percentiles) -> u64| runs.iter().map(|r| f(&r.latency_us)).max().unwrap_or(0);
        let answered = runs.iter().map(Outcome::answered).sum::<u64>().max(1) as f64;
        Outcome {
            ok,
            errors,
            elapsed_s,
            requests_per_s: if elapsed_s > 0.0 {
                ok as f64 / elapsed_s
            } else {
                0.0
            },
            latency_us: Percentiles {
                p50: worst(|p| p.p50),
                p90: worst(|p| p.p90),
                p99: worst(|p| p.p99),
                p999: worst(|p| p.p999),
                max: worst(|p| p.max),
                mean: runs
                    .iter()
                    .map(|r| r.latency_us.mean * r.answered() as f64)
                    .sum::<f64>()
                    / answered,
            },
            mean_body_bytes: runs
                .iter()
                .map(|r| r.mean_body_bytes * r.answered() as f64)
                .sum::<f64>()
                / answered,
        }
    }

    /// A one-line summary for people.
    pub fn line(&self) -> String {
        let l = &self.latency_us;
        let errors = if self.errors.is_empty() {
            "0 errors".to_owned()
        } else {
            let kinds: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            format!("errors: {}", kinds.join(", "))
        };
        format!(
            "{:>9.0} req/s  p50 {:>6} µs  p90 {:>6} µs  p99 {:>6} µs  p99.9 {:>6} µs  max {:>7} µs  {errors}",
            self.requests_per_s, l.p50, l.p90, l.p99, l.p999, l.max
        )
    }
}
