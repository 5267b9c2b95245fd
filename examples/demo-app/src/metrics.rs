//! The application's request metrics, labelled by cohort: `http_requests_total{variant,
//! code}` and `http_request_duration_seconds{variant}` — the series a release's
//! analysis checks query for `{{variant}}`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The metric families.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl Metrics {
    /// Creates and registers the families.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "Checkout requests answered, by cohort (the flag's variant) and status.",
            ),
            &["variant", "code"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Checkout latency, by cohort (the flag's variant).",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["variant"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            duration,
        })
    }

    /// Counts one request of `variant`'s cohort.
    pub fn observe(&self, variant: &str, code: u16, seconds: f64) {
        self.requests
            .with_label_values(&[variant, &code.to_string()])
            .inc();
        self.duration.with_label_values(&[variant]).observe(seconds);
    }

    /// The text exposition.
    pub fn render(&self) -> Result<Vec<u8>, prometheus::Error> {
        let mut out = Vec::with_capacity(4096);
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_labelled_by_cohort_and_status() {
        let metrics = Metrics::new().unwrap_or_else(|e| panic!("{e}"));
        metrics.observe("on", 500, 0.02);
        metrics.observe("off", 200, 0.01);
        let text = String::from_utf8(metrics.render().unwrap_or_default()).unwrap_or_default();
        assert!(
            text.contains(r#"http_requests_total{code="500",variant="on"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{code="200",variant="off"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_request_duration_seconds_bucket{variant="on",le="0.025"} 1"#),
            "{text}"
        );
    }
}
