//! The metrics that tell how current a replica is, computed when Prometheus scrapes:
//! how many revisions it serves behind the newest one it knows of, when it last heard
//! from the change feed, how old what it serves may be, and whether the store answers.
//! A replica that silently serves stale data is what these exist to rule out.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Gauge, IntGauge};

use super::Hub;
use crate::infra::metrics::Metrics;
use crate::infra::store::Store;

/// Registers the feed's gauges on the server's registry.
pub(crate) fn register_feed_metrics(
    metrics: &Metrics,
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
) -> Result<(), prometheus::Error> {
    let collector = FeedMetrics {
        store,
        hub,
        lag: IntGauge::new(
            "rollgate_feed_lag_revisions",
            "Revisions between the newest this replica knows the store has and the one it serves.",
        )?,
        last_contact: Gauge::new(
            "rollgate_feed_last_contact_timestamp_seconds",
            "When this replica last heard from the store's change feed (Unix time; 0: never).",
        )?,
        age: Gauge::new(
            "rollgate_served_age_seconds",
            "Seconds since this replica last confirmed with the change feed that what it serves is current (-1: never).",
        )?,
        available: IntGauge::new(
            "rollgate_store_available",
            "1 when the store answered the last call made to it, 0 when it was out of reach.",
        )?,
    };
    metrics.registry().register(Box::new(collector))
}

struct FeedMetrics {
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    lag: IntGauge,
    last_contact: Gauge,
    age: Gauge,
    available: IntGauge,
}

impl Collector for FeedMetrics {
    fn desc(&self) -> Vec<&Desc> {
        [
            self.lag.desc(),
            self.last_contact.desc(),
            self.age.desc(),
            self.available.desc(),
        ]
        .concat()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let status = self.store.feed_status();
        let served = self.hub.revision();
        let lag = status.head.saturating_sub(served);
        self.lag.set(i64::try_from(lag).unwrap_or(i64::MAX));
        match status.last_contact {
            Some(at) => {
                let ago = at.elapsed();
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                self.last_contact.set(now.saturating_sub(ago).as_secs_f64());
                self.age.set(ago.as_secs_f64());
            }
            None => {
                self.last_contact.set(0.0);
                self.age.set(-1.0);
            }
        }
        self.available.set(i64::from(status.available));
        [
            self.lag.collect(),
            self.last_contact.collect(),
            self.age.collect(),
            self.available.collect(),
        ]
        .concat()
    }
}
