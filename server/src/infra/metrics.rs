//! The server's Prometheus metrics, in a registry the server owns (never the global
//! default), rendered at `GET /metrics`.

mod sharded;

pub(crate) use sharded::{CounterFamily, ShardedCounter};

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Every metric family the server exports.
#[derive(Clone, Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    /// Evaluations served, by environment, flag, variant and reason: sharded, since
    /// every worker counts every evaluation.
    pub evaluations: CounterFamily,
    /// Evaluations that failed, by environment and OpenFeature error code.
    pub evaluation_errors: IntCounterVec,
    /// HTTP requests, by route pattern, method and status.
    pub http_requests: IntCounterVec,
    /// HTTP request latency, by route pattern.
    pub http_duration: HistogramVec,
    /// The store revision the served snapshots reflect.
    pub store_revision: IntGauge,
    /// Time to compile one environment's snapshot.
    pub snapshot_compile: Histogram,
    /// Canary controller decisions dropped instead of applied, by cause (a person acted
    /// first, the lease moved, …).
    pub controller_decisions_dropped: IntCounterVec,
    /// 1 while this replica holds a background task's lease, by task.
    pub leader: IntGaugeVec,
    /// Background task passes that failed (the store out of reach, …), by task.
    pub task_errors: IntCounterVec,
}

impl Metrics {
    /// Creates and registers every family.
    pub(crate) fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let evaluations = CounterFamily::new(
            "rollgate_evaluations_total",
            "Flag evaluations served, by flag, variant and reason.",
            &["environment", "flag", "variant", "reason"],
        )?;
        let evaluation_errors = IntCounterVec::new(
            Opts::new(
                "rollgate_evaluation_errors_total",
                "Flag evaluations that failed, by OpenFeature error code.",
            ),
            &["environment", "code"],
        )?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "rollgate_http_requests_total",
                "HTTP requests answered, by route, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "rollgate_http_request_duration_seconds",
                "HTTP request latency, by route.",
            )
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                0.1, 0.25, 1.0,
            ]),
            &["route"],
        )?;
        let store_revision = IntGauge::new(
            "rollgate_store_revision",
            "Store revision that the served snapshots reflect.",
        )?;
        let snapshot_compile = Histogram::with_opts(
            HistogramOpts::new(
                "rollgate_snapshot_compile_seconds",
                "Time to compile one environment's snapshot.",
            )
            .buckets(vec![
                0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0,
            ]),
        )?;
        let controller_decisions_dropped = IntCounterVec::new(
            Opts::new(
                "rollgate_controller_decisions_dropped_total",
                "Canary controller decisions dropped instead of applied, by cause.",
            ),
            &["cause"],
        )?;
        let leader = IntGaugeVec::new(
            Opts::new(
                "rollgate_leader",
                "1 while this replica holds the task's lease and runs it, by task.",
            ),
            &["task"],
        )?;
        let task_errors = IntCounterVec::new(
            Opts::new(
                "rollgate_task_errors_total",
                "Background task passes that failed (e.g. the store was out of reach), by task.",
            ),
            &["task"],
        )?;
        registry.register(Box::new(evaluations.clone()))?;
        registry.register(Box::new(leader.clone()))?;
        registry.register(Box::new(task_errors.clone()))?;
        registry.register(Box::new(evaluation_errors.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(store_revision.clone()))?;
        registry.register(Box::new(snapshot_compile.clone()))?;
        registry.register(Box::new(controller_decisions_dropped.clone()))?;
        Ok(Metrics {
            registry,
            evaluations,
            evaluation_errors,
            http_requests,
            http_duration,
            store_revision,
            snapshot_compile,
            controller_decisions_dropped,
            leader,
            task_errors,
        })
    }

    /// The registry, for components that add their own families.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The text exposition of every family.
    pub(crate) fn render(&self) -> Result<Vec<u8>, prometheus::Error> {
        let mut out = Vec::with_capacity(16 << 10);
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(out)
    }
}
