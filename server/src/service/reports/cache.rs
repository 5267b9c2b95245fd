//! The KPIs of interim reports, measured at most once per analysis interval per
//! release. A running release's report is computed on demand, and every read used to
//! send its KPI queries again: any viewer could make the server query Prometheus as
//! often as they liked. Within an interval (the plan's `analysis.interval`, one minute
//! without an analysis section) a read gets the KPIs measured last, whose ranges say
//! when that was; reads of one release wait for each other, so two at once still
//! measure once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

use super::model::KpiReport;
use crate::service::releases::Release;

/// How often the KPIs of a release without an analysis section may be measured.
const DEFAULT_INTERVAL: Duration = Duration::minutes(1);

/// The last KPIs measured per release, with when.
type Measured = Arc<tokio::sync::Mutex<Option<(OffsetDateTime, KpiReport)>>>;

/// The KPIs of interim reports (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct KpiCache {
    releases: Mutex<HashMap<String, Measured>>,
}

impl KpiCache {
    /// The KPIs of `release` at `now`: those measured less than an interval ago, or
    /// what `measure` gives now (kept for the next reads).
    pub(crate) async fn get_or_measure<F>(
        &self,
        release: &Release,
        now: OffsetDateTime,
        measure: F,
    ) -> KpiReport
    where
        F: Future<Output = KpiReport>,
    {
        let slot = {
            let mut releases = self.releases.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(releases.entry(release.id.clone()).or_default())
        };
        let mut last = slot.lock().await;
        let interval = release
            .plan
            .analysis
            .as_ref()
            .map_or(DEFAULT_INTERVAL, |analysis| analysis.interval.to_time());
        if let Some((at, kpis)) = last.as_ref()
            && now >= *at
            && now - *at < interval
        {
            return kpis.clone();
        }
        let kpis = measure.await;
        *last = Some((now, kpis.clone()));
        kpis
    }
}
