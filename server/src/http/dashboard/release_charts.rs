//! The health-check charts of a release page, drawn by the validation report's own
//! chart code ([`crate::service::reports::charts`]) from the report the release would
//! have now — without KPIs, which the charts do not show and which would ask
//! Prometheus on every page view.
//!
//! A page shows at most [`RECENT`] intervals per check (the latest), so a release that
//! has run for days still makes a light page; the report has them all.

use rollgate_dashboard::release_charts::CheckChart;
use time::OffsetDateTime;

use crate::service::releases::Release;
use crate::service::reports::charts::{self, Axis};
use crate::service::reports::model::{HealthSeries, KpiReport};
use crate::service::reports::{build, tables};

/// The most intervals a chart on the page draws.
pub(super) const RECENT: usize = 60;

/// A chart per check that has recorded intervals, as of `now`.
pub(super) fn of(release: &Release, now: OffsetDateTime) -> Vec<CheckChart> {
    if release.plan.analysis.is_none() {
        return Vec::new();
    }
    let kpis = KpiReport {
        prometheus_url: None,
        measured: false,
        note: None,
        results: Vec::new(),
    };
    let report = build::build(release, now, kpis);
    let Some(axis) = Axis::of(&report) else {
        return Vec::new();
    };
    report
        .health
        .iter()
        .filter(|series| !series.points.is_empty())
        .map(|series| {
            let recorded = series.points.len();
            let recent = HealthSeries {
                points: series.points[recorded.saturating_sub(RECENT)..].to_vec(),
                ..series.clone()
            };
            CheckChart {
                check: series.check.clone(),
                bound: tables::bound(series.min, series.max),
                has_data: charts::has_data(series),
                shown: recent.points.len(),
                recorded,
                svg: charts::health(&report, &recent, axis),
            }
        })
        .collect()
}
