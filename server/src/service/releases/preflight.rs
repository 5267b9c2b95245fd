//! The preflight: before anyone is exposed, every query the release will depend on is
//! asked once of its Prometheus — each analysis check for both cohorts (treatment: the
//! first flag's released variant; control: its `off_variant`), and each KPI once (for
//! the treatment). Submit and start run it and record it on the release; the preview
//! runs it without recording.
//!
//! Prometheus unreachable (or none configured) and a query Prometheus refuses are
//! failures: the start warns `preflight_failed` and goes ahead only when acknowledged.
//! A query that answers with no data yet is reported and refuses nothing — a metric
//! that only exists once the new code serves traffic is normal before the start.

use std::time::Duration;

use futures_util::future::join_all;
use rollgate_core::analysis::{Arm, QueryOutcome, QueryRecord};
use rollgate_core::release::{Warning, WarningCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Release;
use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::Endpoints;
use crate::infra::promql::template::{Placeholders, render};
use crate::service::App;

/// How long one preflight query may take (they run at once).
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// What `{{window}}` stands for in a KPI's preflight query when the plan has no
/// analysis window: a short, recent range, enough to see whether the series exist.
const KPI_WINDOW: &str = "5m";

/// The outcome of one preflight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preflight {
    /// When it ran.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The Prometheus asked (the plan's, else the server's); absent when neither names
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    /// Every query sent, and what it gave.
    pub queries: Vec<PreflightQuery>,
    /// Queries that failed (unreachable, refused): each is a reason to warn.
    pub failed: usize,
    /// Queries that answered with no data yet (reported, not refused).
    pub no_data: usize,
}

/// One query of the preflight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PreflightQuery {
    /// `check` or `kpi`.
    pub source: String,
    /// The check's or KPI's name.
    pub name: String,
    /// The query: cohort, role (`errors`, `total`, `query`), PromQL and outcome.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub query: QueryRecord,
}

impl Preflight {
    /// Did every query answer (with a value or with no data)?
    pub fn passed(&self) -> bool {
        self.failed == 0
    }

    /// The `preflight_failed` warning, when a query failed.
    pub(crate) fn warning(&self) -> Option<Warning> {
        let first = self.queries.iter().find_map(|q| match &q.query.outcome {
            QueryOutcome::Error { message } => Some((q, message)),
            _ => None,
        })?;
        let (query, message) = first;
        Some(Warning {
            code: WarningCode::PreflightFailed,
            flag: None,
            audience: None,
            message: format!(
                "{} of {} preflight queries failed, first {} {:?} ({}): {message}; until it answers, the analysis cannot judge the release and its KPIs go unmeasured",
                self.failed,
                self.queries.len(),
                query.source,
                query.name,
                arm_name(query.query.arm),
            ),
        })
    }

    /// A few words for a timeline event's details.
    pub(crate) fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "queries": self.queries.len(),
            "failed": self.failed,
            "no_data": self.no_data,
        })
    }
}

fn arm_name(arm: Arm) -> &'static str {
    match arm {
        Arm::Treatment => "treatment",
        Arm::Control => "control",
    }
}

/// One query to send.
struct Planned {
    source: &'static str,
    name: String,
    arm: Arm,
    role: &'static str,
    promql: Result<String, String>,
}

/// Runs the preflight of `release` now. `None` when the plan has neither analysis
/// checks nor KPIs: there is nothing to ask.
pub(crate) async fn run(app: &App, release: &Release) -> Option<Preflight> {
    let plan = &release.plan;
    let checks = plan.analysis.as_ref().map_or(&[][..], |a| &a.checks[..]);
    if checks.is_empty() && plan.kpis.is_empty() {
        return None;
    }
    let released = plan.flags.first()?;
    let control = app
        .hub
        .catalog()
        .flags
        .get(&released.key)
        .and_then(|f| f.doc.environments.get(&plan.environment))
        .map(|c| c.off_variant.clone())
        .or_else(|| {
            release
                .baseline
                .get(&released.key)
                .map(|c| c.off_variant.clone())
        })
        .unwrap_or_default();
    let window = plan
        .analysis
        .as_ref()
        .map_or_else(|| KPI_WINDOW.to_owned(), |a| a.window().to_string());
    let fill = |template: &str, variant: &str| {
        render(
            template,
            &Placeholders {
                flag: &released.key,
                variant,
                release: &release.id,
                window: &window,
            },
        )
        .map_err(|e| format!("the template cannot be filled: {e}"))
    };
    let mut planned = Vec::new();
    for check in checks {
        let templates = check.templates();
        for (arm, variant) in [
            (Arm::Treatment, released.variant.as_str()),
            (Arm::Control, control.as_str()),
        ] {
            for (role, template) in &templates {
                planned.push(Planned {
                    source: "check",
                    name: check.name.clone(),
                    arm,
                    role,
                    promql: template.map_or_else(
                        || Err(format!("the check has no `{role}`")),
                        |t| fill(t, variant),
                    ),
                });
            }
        }
    }
    for kpi in &plan.kpis {
        planned.push(Planned {
            source: "kpi",
            name: kpi.name.clone(),
            arm: Arm::Treatment,
            role: "query",
            promql: fill(&kpi.query, &released.variant),
        });
    }
    let endpoints = Endpoints::new(&app.settings);
    let prometheus = endpoints.choose(
        plan.analysis
            .as_ref()
            .and_then(|a| a.prometheus_url.as_deref()),
    );
    let at = app.clock.now();
    let client = PrometheusClient::new(QUERY_TIMEOUT);
    let outcomes = join_all(planned.iter().map(|p| async {
        match client
            .outcome(prometheus.as_ref().copied(), &p.promql, at)
            .await
        {
            // A value JSON cannot hold (±Inf) is no usable number yet.
            QueryOutcome::Value { value } if !value.is_finite() => QueryOutcome::NoData,
            outcome => outcome,
        }
    }))
    .await;
    let queries: Vec<PreflightQuery> = planned
        .into_iter()
        .zip(outcomes)
        .map(|(p, outcome)| PreflightQuery {
            source: p.source.to_owned(),
            name: p.name,
            query: QueryRecord {
                arm: p.arm,
                role: p.role.to_owned(),
                promql: p.promql.unwrap_or_default(),
                outcome,
            },
        })
        .collect();
    let count =
        |f: fn(&QueryOutcome) -> bool| queries.iter().filter(|q| f(&q.query.outcome)).count();
    Some(Preflight {
        at,
        prometheus_url: prometheus.as_ref().ok().map(|e| e.url().to_owned()),
        failed: count(|o| matches!(o, QueryOutcome::Error { .. })),
        no_data: count(|o| matches!(o, QueryOutcome::NoData)),
        queries,
    })
}
