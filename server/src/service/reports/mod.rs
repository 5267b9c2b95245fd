//! Validation reports (docs/product.md §6): the record of a release's outcome, built from
//! the release document (its timeline and the analysis records on it) and the KPIs
//! measured in Prometheus.
//!
//! - While a release has not ended, its report is computed on demand and not stored
//!   (`"final": false`); its KPIs are measured at most once per analysis interval
//!   ([`cache`]), however often it is read.
//! - Once it has ended (completed, rolled back, cancelled) and [`settled`], the report
//!   is written once with `Expect::Absent` — by the [`report writer`](crate::tasks::report_writer) task, which follows the
//!   change feed, right after the final commit, or by the first request that finds it
//!   missing — and from then on served from the store, byte for byte: whoever loses the
//!   race reads the winner's report.
//! - A rollback is followed by one more write, its propagation record (once the
//!   rollback is served and the SDK streams handed it, about a second later). Until that
//!   record is on the timeline (or [`PROPAGATION_GRACE`] has passed without it) the
//!   release has not settled: its report is computed on demand with `"final": false`,
//!   so the stored report always carries the record.
//!
//! - Later findings — the watch after release — are [`addendum`]s: documents of their
//!   own, appended, never rewriting the report.
//!
//! Pure parts: [`stages`] (the timeline walked), [`checks`] (records aggregated),
//! [`issues`], [`kpi`] (queries planned and judged), [`build`]; renderings:
//! [`markdown`], [`html`] with [`charts`], the text they share in [`tables`] and
//! [`before`].

pub mod addendum;
pub(crate) mod before;
pub mod build;
pub(crate) mod cache;
pub(crate) mod charts;
pub(crate) mod checks;
pub mod html;
pub(crate) mod issues;
pub(crate) mod kpi;
pub(crate) mod log_items;
pub(crate) mod markdown;
pub mod model;
pub(crate) mod plan_items;
pub(crate) mod stages;
pub(crate) mod tables;
pub(crate) mod text;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use model::Report;

use crate::infra::auth::Role;
use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::Endpoints;
use crate::infra::store::{Commit, Expect, Kind, StoreError, Write};
use crate::service::App;
use crate::service::ServiceError;
use crate::service::releases::{Actor, EventKind, Release, load};
use crate::service::{Principal, require_role};
use rollgate_core::release::ReleaseState;
use time::OffsetDateTime;

/// How long a rolled-back release's report waits for the rollback's propagation
/// record before it is stored without it (the record is written within about a second;
/// only a failed write leaves it out).
pub(crate) const PROPAGATION_GRACE: Duration = Duration::from_secs(10);

/// How long one KPI query may take.
const KPI_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// A report as served: the JSON bytes (exactly as stored, for a final report), the
/// document, and its store version (`None` while the release runs: not stored).
#[derive(Clone, Debug)]
pub(crate) struct Served {
    /// The JSON, as stored (or as computed, while not final).
    pub json: Arc<[u8]>,
    /// The same, parsed.
    pub report: Report,
    /// The stored version (always 1: a report is never rewritten).
    pub version: Option<u64>,
}

/// The report of release `id` for a caller with at least the viewer role.
pub(crate) async fn report(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<Served, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let release = load(app, id).await?.release;
    if release.state.is_terminal() {
        if let Some(stored) = stored(app, &release.id).await? {
            return Ok(stored);
        }
        if settled(&release, app.clock.now()) {
            return final_report(app, &release).await;
        }
    }
    let mut report = interim(app, &release).await;
    // An ended release whose rollback record is still to come: not final yet.
    report.is_final = false;
    let json = crate::service::to_body(&report)?;
    Ok(Served {
        json: Arc::from(json),
        report,
        version: None,
    })
}

/// Has `release` ended with nothing more to come on its timeline? A rolled-back one
/// settles when its propagation record follows the rollback, or [`PROPAGATION_GRACE`]
/// after the rollback without it.
pub(crate) fn settled(release: &Release, now: OffsetDateTime) -> bool {
    if !release.state.is_terminal() {
        return false;
    }
    if release.state != ReleaseState::RolledBack {
        return true;
    }
    let Some(rolled) = release
        .timeline
        .iter()
        .rposition(|e| e.event == EventKind::RolledBack)
    else {
        return true;
    };
    release.timeline[rolled..]
        .iter()
        .any(|e| e.event == EventKind::RollbackPropagated)
        || now - release.timeline[rolled].at >= PROPAGATION_GRACE
}

/// The stored report of an ended release, writing it first if it is missing.
pub(crate) async fn final_report(app: &App, release: &Release) -> Result<Served, ServiceError> {
    if let Some(stored) = stored(app, &release.id).await? {
        return Ok(stored);
    }
    let report = generate(app, release).await;
    let body = crate::service::to_body(&report)?;
    let commit = Commit {
        actor: Actor::system("reports").audit_name(),
        action: "report.final".to_owned(),
        at: app.clock.now(),
        writes: vec![Write::put(
            Kind::Report,
            release.id.clone(),
            Expect::Absent,
            body.clone(),
        )],
        checks: Vec::new(),
        audited: true,
        expect_revision: None,
    };
    match app.store.commit(commit).await {
        Ok(change) => Ok(Served {
            json: Arc::from(body),
            report,
            version: Some(change.entries.first().map_or(1, |e| e.version)),
        }),
        Err(StoreError::Conflict { .. }) => stored(app, &release.id).await?.ok_or_else(|| {
            ServiceError::StoreUnavailable("the report was written and then vanished".to_owned())
        }),
        Err(error) => Err(ServiceError::from(error)),
    }
}

/// The stored report of release `id`, if any.
async fn stored(app: &App, id: &str) -> Result<Option<Served>, ServiceError> {
    let Some(document) = app
        .store
        .get(Kind::Report, id)
        .await
        .map_err(ServiceError::from)?
    else {
        return Ok(None);
    };
    let report: Report =
        serde_json::from_slice(&document.body).map_err(ServiceError::unreadable)?;
    Ok(Some(Served {
        json: document.body,
        report,
        version: Some(document.version),
    }))
}

/// Builds the report of `release` now, measuring its KPIs.
pub(crate) async fn generate(app: &App, release: &Release) -> Report {
    let now = app.clock.now();
    build::build(release, now, measure(app, release, now).await)
}

/// Builds the interim report of `release` now, with KPIs measured at most once per
/// analysis interval.
async fn interim(app: &App, release: &Release) -> Report {
    let now = app.clock.now();
    let kpis = app
        .kpis
        .get_or_measure(release, now, measure(app, release, now))
        .await;
    build::build(release, now, kpis)
}

/// The KPIs of `release` at `now`, measured in the endpoint of the settings its plan
/// names (or the default).
async fn measure(app: &App, release: &Release, now: OffsetDateTime) -> model::KpiReport {
    let walk = stages::walk(release);
    let planned = kpi::plan(release, &walk, now);
    let endpoints = Endpoints::new(&app.settings);
    let prometheus = endpoints.choose(
        release
            .plan
            .analysis
            .as_ref()
            .and_then(|a| a.prometheus_url.as_deref()),
    );
    let client = PrometheusClient::new(KPI_QUERY_TIMEOUT);
    kpi::measure(&client, prometheus, planned).await
}
