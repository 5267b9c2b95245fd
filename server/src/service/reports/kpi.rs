//! KPIs against the plan's targets (docs/release-plan.md, "kpis"): each KPI's PromQL is run over
//! every stage reached and over the whole release, as an instant query evaluated at the
//! range's end with `{{window}}` standing for the range's length (a stage that ran
//! 25 minutes is measured with `[25m]` at its close). A query that uses `{{variant}}`
//! is run for the treatment (the released variant) and the control (the flag's
//! `off_variant` when the release started); the treatment's number is judged. A query
//! that uses `{{flag}}` or `{{variant}}` is run once per released flag.
//!
//! [`plan`] and [`judge`] are pure; [`measure`] asks Prometheus — the endpoint of the
//! settings the plan names (`infra::promql::endpoints`). No Prometheus (neither
//! `analysis.prometheus_url` nor the server's `prometheus_url`), one the settings do not
//! name, an unreachable one, or a refused query make a KPI "not measured" — never a
//! failed report.

use rollgate_core::release::{Duration, KpiTarget};
use time::OffsetDateTime;

use super::model::{KpiArm, KpiMeasurement, KpiReport, KpiResult, KpiScope, KpiVerdict};
use super::stages::Walk;
use crate::infra::promql::client::{PrometheusClient, QueryError, Sample};
use crate::infra::promql::endpoints::{Endpoint, Unavailable};
use crate::infra::promql::template::{Placeholders, render};
use crate::service::releases::Release;

/// The KPI results of `release` with every query written out and nothing measured yet.
pub(crate) fn plan(release: &Release, walk: &Walk, now: OffsetDateTime) -> Vec<KpiResult> {
    let mut ranges: Vec<Range> = walk
        .spans
        .iter()
        .enumerate()
        .filter_map(|(index, span)| {
            let (from, to) = span.range(now)?;
            Some((KpiScope::Stage, Some(index), from, to))
        })
        .collect();
    if let Some((from, to)) = walk.range(now) {
        ranges.push((KpiScope::Release, None, from, to));
    }
    plan_over(release, &ranges)
}

/// A range a KPI is measured over: its scope, the stage, from, to.
pub(crate) type Range = (KpiScope, Option<usize>, OffsetDateTime, OffsetDateTime);

/// The KPI results of `release` over `ranges`, nothing measured yet (the watch's
/// addendum measures over the watch alone).
pub(crate) fn plan_over(release: &Release, ranges: &[Range]) -> Vec<KpiResult> {
    let mut results = Vec::new();
    for kpi in &release.plan.kpis {
        let per_flag =
            differs(&kpi.query, |p, v| p.flag = v) || differs(&kpi.query, |p, v| p.variant = v);
        let per_variant = differs(&kpi.query, |p, v| p.variant = v);
        let flags: Vec<Option<&rollgate_core::release::ReleasedFlag>> = if per_flag {
            release.plan.flags.iter().map(Some).collect()
        } else {
            vec![None]
        };
        for &(scope, stage, from, to) in ranges {
            let seconds = u64::try_from((to - from).whole_seconds()).unwrap_or(0);
            let window = Duration::from_secs(seconds.clamp(1, Duration::MAX_SECONDS))
                .map_or_else(|| "1s".to_owned(), |d| d.to_string());
            for flag in &flags {
                let arms: Vec<(KpiArm, Option<String>)> = match flag {
                    Some(flag) if per_variant => vec![
                        (KpiArm::Treatment, Some(flag.variant.clone())),
                        (KpiArm::Control, control_variant(release, &flag.key)),
                    ],
                    _ => vec![(KpiArm::All, None)],
                };
                let measurements = arms
                    .into_iter()
                    .map(|(arm, variant)| {
                        let values = Placeholders {
                            flag: flag.map_or("", |f| f.key.as_str()),
                            variant: variant.as_deref().unwrap_or(""),
                            release: &release.id,
                            window: &window,
                        };
                        let (promql, problem) = match (&variant, arm) {
                            (None, KpiArm::Control) => (
                                String::new(),
                                Some("the control variant is unknown (the release has no baseline for this flag)".to_owned()),
                            ),
                            _ => match render(&kpi.query, &values) {
                                Ok(promql) => (promql, None),
                                Err(error) => (String::new(), Some(error.to_string())),
                            },
                        };
                        KpiMeasurement {
                            arm,
                            variant,
                            promql,
                            value: None,
                            problem,
                        }
                    })
                    .collect();
                results.push(KpiResult {
                    kpi: kpi.name.clone(),
                    target: kpi.target.clone(),
                    scope,
                    stage,
                    flag: flag.map(|f| f.key.clone()),
                    from,
                    to,
                    window: window.clone(),
                    measurements,
                    value: None,
                    control: None,
                    verdict: KpiVerdict::NotMeasured,
                });
            }
        }
    }
    results
}

/// Does the template change when a placeholder does? (Then it uses it.)
fn differs(template: &str, set: impl Fn(&mut Placeholders<'static>, &'static str)) -> bool {
    let mut a = Placeholders::default();
    let mut b = Placeholders::default();
    set(&mut a, "a");
    set(&mut b, "b");
    match (render(template, &a), render(template, &b)) {
        (Ok(a), Ok(b)) => a != b,
        _ => false,
    }
}

/// The control variant of a released flag: its `off_variant` when the release started.
fn control_variant(release: &Release, flag: &str) -> Option<String> {
    release
        .baseline
        .get(flag)
        .map(|config| config.off_variant.clone())
}

/// The verdict of a value against a target.
pub(crate) fn judge(target: &KpiTarget, value: Option<f64>) -> KpiVerdict {
    match value {
        None => KpiVerdict::NoData,
        Some(v) if target.min.is_some_and(|min| v < min) => KpiVerdict::Missed,
        Some(v) if target.max.is_some_and(|max| v > max) => KpiVerdict::Missed,
        Some(_) => KpiVerdict::Met,
    }
}

/// Fills in a result's value, control and verdict from its measurements.
pub(crate) fn conclude(result: &mut KpiResult) {
    let judged = result
        .measurements
        .iter()
        .find(|m| matches!(m.arm, KpiArm::Treatment | KpiArm::All));
    result.value = judged.and_then(|m| m.value);
    result.control = result
        .measurements
        .iter()
        .find(|m| m.arm == KpiArm::Control)
        .and_then(|m| m.value);
    result.verdict = match judged {
        None => KpiVerdict::NotMeasured,
        Some(m) if m.value.is_none() && m.problem.as_deref() != Some(NO_DATA) => {
            KpiVerdict::NotMeasured
        }
        Some(m) => judge(&result.target, m.value),
    };
}

/// The problem of a query that answered with nothing.
pub(crate) const NO_DATA: &str = "no data";

/// Runs the queries of `results` against `prometheus` (the plan's endpoint, else the
/// server's) and judges them; without one, measures nothing and says why.
pub(crate) async fn measure(
    client: &PrometheusClient,
    prometheus: Result<&Endpoint, Unavailable>,
    mut results: Vec<KpiResult>,
) -> KpiReport {
    let endpoint = match prometheus {
        Ok(endpoint) => endpoint,
        Err(Unavailable::NoDefault) => {
            return not_measured(
                None,
                results,
                "not measured: no Prometheus is configured (analysis.prometheus_url in the plan, or the server's prometheus_url)",
            );
        }
        Err(other) => return not_measured(None, results, &format!("not measured: {other}")),
    };
    let base = endpoint.url();
    if results.is_empty() {
        return KpiReport {
            prometheus_url: Some(base.to_owned()),
            measured: false,
            note: Some("the plan names no KPI, or the release never started".to_owned()),
            results,
        };
    }
    let mut answered = false;
    let mut unreachable = None;
    'results: for result in &mut results {
        for measurement in &mut result.measurements {
            if measurement.problem.is_some() {
                continue;
            }
            match client.query(endpoint, &measurement.promql, result.to).await {
                Ok(Sample::Value(value)) if value.is_finite() => {
                    answered = true;
                    measurement.value = Some(value);
                }
                Ok(_) => {
                    answered = true;
                    measurement.problem = Some(NO_DATA.to_owned());
                }
                Err(error @ (QueryError::Timeout(_) | QueryError::Transport(_))) => {
                    unreachable = Some(format!(
                        "not measured: Prometheus at {base} is unreachable ({error})"
                    ));
                    break 'results;
                }
                Err(error) => measurement.problem = Some(error.to_string()),
            }
        }
        conclude(result);
    }
    if let Some(note) = unreachable {
        return not_measured(Some(base), results, &note);
    }
    KpiReport {
        prometheus_url: Some(base.to_owned()),
        measured: answered,
        note: None,
        results,
    }
}

/// Every result not measured, for `why`.
fn not_measured(base: Option<&str>, mut results: Vec<KpiResult>, why: &str) -> KpiReport {
    for result in &mut results {
        for measurement in &mut result.measurements {
            measurement.value = None;
            measurement.problem.get_or_insert_with(|| why.to_owned());
        }
        result.value = None;
        result.control = None;
        result.verdict = KpiVerdict::NotMeasured;
    }
    KpiReport {
        prometheus_url: base.map(str::to_owned),
        measured: false,
        note: Some(why.to_owned()),
        results,
    }
}
