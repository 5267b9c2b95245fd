//! Report addenda: what is learnt about a release after its report was written — the
//! watch after release (docs/release-plan.md, "watch"): how long the released variant
//! was watched, the regressions found, and the KPIs measured over the watch against
//! the plan's targets.
//!
//! The report written when the release ended is never rewritten; an addendum is a
//! document of its own (`Kind::Report`, key `{id}/addendum/{n}`), dated, written once
//! with `Expect::Absent` in the commit that closes the watch, and never changed. The
//! JSON report stays byte for byte what was stored; the addenda are listed at
//! `/api/v1/releases/{id}/report/addenda`, and the Markdown and HTML renderings append
//! them after the report's own text.

use rollgate_core::release::OnRegression;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::kpi;
use super::model::{KpiReport, KpiScope};
use crate::infra::auth::Role;
use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::Endpoints;
use crate::infra::store::{Expect, Kind, Write};
use crate::service::releases::watch::{WatchRecord, WatchStatus};
use crate::service::releases::{EventKind, Release, load};
use crate::service::{App, Principal, ServiceError, require_role, to_body};

/// One addendum to a release's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Addendum {
    /// The release.
    pub release: String,
    /// Its number among the release's addenda, from 1.
    pub number: u32,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub written_at: OffsetDateTime,
    /// What it adds to the report.
    pub title: String,
    /// The watch it reports on.
    pub watch: WatchSummary,
    /// The KPIs measured over the watch, against the plan's targets.
    pub kpis: KpiReport,
}

/// The watch after release, summed up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WatchSummary {
    /// When it began (the release completed).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    /// When it stopped (its end, or the rollback).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    /// How it ended: `ended` (it ran its course) or `rolled_back`.
    pub status: WatchStatus,
    /// What a regression was to do.
    #[schema(value_type = String)]
    pub on_regression: OnRegression,
    /// How many times the controller looked.
    pub looks: u32,
    /// Each regression found: when, and why.
    pub regressions: Vec<Regression>,
}

/// A regression found during the watch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Regression {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The guardrails breached, or the reason of the rollback.
    pub reason: String,
    /// `alert` or `rollback`.
    pub action: String,
}

/// The key of addendum `number` of release `id`.
fn key(id: &str, number: u32) -> String {
    format!("{id}/addendum/{number}")
}

/// The addendum the watch of `release` closes with, KPIs measured at `now` over the
/// watch, and its write (`Expect::Absent`). `None` without a watch record.
pub(crate) async fn watch_addendum(
    app: &App,
    release: &Release,
    number: u32,
    now: OffsetDateTime,
) -> Result<Option<(Addendum, Write)>, ServiceError> {
    let Some(record) = &release.watch_record else {
        return Ok(None);
    };
    let (from, to) = record.window(now);
    let planned = kpi::plan_over(release, &[(KpiScope::Watch, None, from, to)]);
    let endpoints = Endpoints::new(&app.settings);
    let prometheus = endpoints.choose(
        release
            .plan
            .analysis
            .as_ref()
            .and_then(|a| a.prometheus_url.as_deref()),
    );
    let client = PrometheusClient::new(super::KPI_QUERY_TIMEOUT);
    let kpis = kpi::measure(&client, prometheus, planned).await;
    let addendum = build(release, record, number, now, kpis);
    let write = Write::put(
        Kind::Report,
        key(&release.id, number),
        Expect::Absent,
        to_body(&addendum)?,
    );
    Ok(Some((addendum, write)))
}

/// The addendum of a closed watch: pure, from the release and the KPIs.
pub(crate) fn build(
    release: &Release,
    record: &WatchRecord,
    number: u32,
    now: OffsetDateTime,
    kpis: KpiReport,
) -> Addendum {
    let (from, to) = record.window(now);
    let regressions = release
        .timeline
        .iter()
        .filter(|e| e.at >= from)
        .filter_map(|e| {
            let action = match e.event {
                EventKind::WatchRegression => "alert",
                EventKind::RolledBack => "rollback",
                _ => return None,
            };
            Some(Regression {
                at: e.at,
                reason: e.comment.clone().unwrap_or_default(),
                action: action.to_owned(),
            })
        })
        .collect();
    let status = match record.status {
        WatchStatus::Watching => WatchStatus::Ended,
        other => other,
    };
    Addendum {
        release: release.id.clone(),
        number,
        written_at: now,
        title: "The watch after release".to_owned(),
        watch: WatchSummary {
            from,
            to,
            status,
            on_regression: release
                .plan
                .watch
                .as_ref()
                .map_or(OnRegression::Alert, |w| w.on_regression),
            looks: record.progress.looks,
            regressions,
        },
        kpis,
    }
}

/// Every addendum of release `id`, oldest first.
pub(crate) async fn read(app: &App, id: &str) -> Result<Vec<Addendum>, ServiceError> {
    let mut addenda = Vec::new();
    for number in 1.. {
        let Some(document) = app
            .store
            .get(Kind::Report, &key(id, number))
            .await
            .map_err(ServiceError::from)?
        else {
            break;
        };
        addenda.push(serde_json::from_slice(&document.body).map_err(ServiceError::unreadable)?);
    }
    Ok(addenda)
}

/// The addenda of release `id`, for a viewer.
pub(crate) async fn list(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<Vec<Addendum>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    load(app, id).await?;
    read(app, id).await
}
