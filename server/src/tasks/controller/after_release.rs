//! The watch after release, kept by the controller: every analysis `interval` of a
//! completed release under watch, query each watched check for the released variant,
//! let [`rollgate_core::release::watch::judge`] decide, and write what it found — a
//! look, an alert (`watch_regression`), or the rollback through the same action people
//! use. Once the watch is over (or a rollback closed it), measure the KPIs over it and
//! write the report's addendum in the commit that closes it.
//!
//! Like the canary analysis: guarded by the release version read (a person acting in
//! between wins), fenced by the controller's lease, never a regression on a failed
//! query or missing data, and nothing kept in memory (the progress is in the release).

use rollgate_core::analysis::{QueryOutcome, Verdict};
use rollgate_core::release::watch::{Reading, WatchDecision, judge};
use rollgate_core::release::{AnalysisCheck, CheckKind, OnRegression};
use serde_json::json;
use time::OffsetDateTime;

use super::act::{COMPONENT, Outcome, clip, settle};
use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::Endpoints;
use crate::infra::promql::template::{Placeholders, render};
use crate::infra::store::Check;
use crate::service::releases::watch::{WatchStatus, WatchWrite};
use crate::service::releases::{Action, ActionRequest, Actor, Automation, Stored, run_with};
use crate::service::reports::addendum::watch_addendum;
use crate::service::{App, IfMatch, ServiceError};

/// Does the controller still have work with this release's watch: watching, or closed
/// without its addendum?
pub(crate) fn is_kept(stored: &Stored) -> bool {
    let release = &stored.release;
    release.plan.analysis.is_some()
        && release
            .watch_record
            .as_ref()
            .is_some_and(|w| w.addendum.is_none())
}

/// When the watch of `stored` is next due: the next look (one interval after the last,
/// or after the start), at the latest its end; a closed watch at once.
pub(crate) fn due_at(stored: &Stored, interval: time::Duration) -> Option<OffsetDateTime> {
    let record = stored.release.watch_record.as_ref()?;
    if record.status != WatchStatus::Watching {
        return Some(record.closed_at.unwrap_or(record.started_at));
    }
    let look = record.last_at.unwrap_or(record.started_at) + interval;
    Some(look.min(record.ends_at))
}

/// Looks at, or closes, the watch of `stored` at `now`.
pub(super) async fn run(
    app: &App,
    client: &PrometheusClient,
    stored: &Stored,
    fence: Check,
    now: OffsetDateTime,
) -> Result<Outcome, ServiceError> {
    let release = &stored.release;
    let (Some(record), Some(watch), Some(analysis)) = (
        &release.watch_record,
        &release.plan.watch,
        &release.plan.analysis,
    ) else {
        return Ok(Outcome::Skipped);
    };
    let write = WatchWrite {
        stored,
        fence: fence.clone(),
        now,
    };
    if record.status != WatchStatus::Watching || now >= record.ends_at {
        let Some((addendum, put)) = watch_addendum(app, release, 1, now).await? else {
            return Ok(Outcome::Skipped);
        };
        let summary = json!({
            "addendum": addendum.number,
            "status": addendum.watch.status,
            "regressions": addendum.watch.regressions.len(),
        });
        let result = write.end(app, addendum.number, put, summary).await;
        return settle(result.map(|_| Verdict::Complete), &release.id);
    }
    let watched = watch.watched(analysis);
    let readings = read(app, client, stored, &watched, now).await;
    let (decision, progress) = judge(&watched, &record.progress, &readings);
    let record_json = json!(
        watched
            .iter()
            .zip(&readings)
            .map(|(check, reading)| json!({ "check": check.name, "reading": words(reading) }))
            .collect::<Vec<_>>()
    );
    let result = match decision {
        WatchDecision::Hold(_) => write.look(app, progress).await.map(|_| Verdict::Hold),
        WatchDecision::Regression(reason) => match watch.on_regression {
            OnRegression::Alert => write
                .alert(app, progress, clip(&reason), record_json)
                .await
                .map(|_| Verdict::Hold),
            OnRegression::Rollback => {
                let request = ActionRequest {
                    reason: Some(clip(&format!(
                        "regression during the watch after release: {reason}"
                    ))),
                    ..ActionRequest::default()
                };
                let automation = Automation {
                    checks: vec![fence],
                    progress: None,
                    analysis: Some(record_json),
                };
                run_with(
                    app,
                    &Actor::system(COMPONENT),
                    &release.id,
                    Action::Rollback,
                    request,
                    Some(IfMatch::Version(stored.version)),
                    automation,
                )
                .await
                .map(|_| Verdict::Rollback)
            }
        },
    };
    settle(result, &release.id)
}

/// This look's reading of each watched check, for the released variant.
async fn read(
    app: &App,
    client: &PrometheusClient,
    stored: &Stored,
    watched: &[&AnalysisCheck],
    now: OffsetDateTime,
) -> Vec<Reading> {
    let release = &stored.release;
    let Some(analysis) = &release.plan.analysis else {
        return Vec::new();
    };
    let endpoints = Endpoints::new(&app.settings);
    let prometheus = endpoints.choose(analysis.prometheus_url.as_deref());
    let (flag, variant) = release
        .plan
        .flags
        .first()
        .map_or(("", ""), |f| (f.key.as_str(), f.variant.as_str()));
    let window = analysis.window().to_string();
    let placeholders = Placeholders {
        flag,
        variant,
        release: &release.id,
        window: &window,
    };
    let mut readings = Vec::new();
    for check in watched {
        let mut values = Vec::new();
        for (role, template) in check.templates() {
            let promql = template
                .ok_or_else(|| format!("the check has no `{role}`"))
                .and_then(|t| render(t, &placeholders).map_err(|e| e.to_string()));
            values.push(
                client
                    .outcome(prometheus.as_ref().copied(), &promql, now)
                    .await,
            );
        }
        readings.push(reading(check, analysis.min_samples, &values));
    }
    readings
}

/// A check's reading from its queries' outcomes (`errors`, `total` of a ratio check;
/// `query` of a value check). A ratio with fewer than `min_samples` in `total` has no
/// data.
fn reading(check: &AnalysisCheck, min_samples: u64, outcomes: &[QueryOutcome]) -> Reading {
    if let Some(message) = outcomes.iter().find_map(|o| match o {
        QueryOutcome::Error { message } => Some(message.clone()),
        _ => None,
    }) {
        return Reading::Error(message);
    }
    let value = |o: Option<&QueryOutcome>| match o {
        Some(QueryOutcome::Value { value }) if value.is_finite() => Some(*value),
        _ => None,
    };
    let read = match check.kind {
        CheckKind::Value => value(outcomes.first()),
        CheckKind::Ratio => match (value(outcomes.first()), value(outcomes.get(1))) {
            (Some(errors), Some(total)) if total > 0.0 && total >= min_samples as f64 => {
                Some(errors / total)
            }
            _ => None,
        },
    };
    read.map_or(Reading::NoData, Reading::Value)
}

fn words(reading: &Reading) -> serde_json::Value {
    match reading {
        Reading::Value(value) => json!(value),
        Reading::NoData => json!("no data"),
        Reading::Error(message) => json!({ "error": message }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: CheckKind) -> AnalysisCheck {
        serde_json::from_value(json!({ "name": "c", "kind": kind, "max": 0.1 }))
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_ratio_reads_errors_over_total_once_it_has_enough_samples() {
        let ratio = check(CheckKind::Ratio);
        let v = |value| QueryOutcome::Value { value };
        assert_eq!(
            reading(&ratio, 100, &[v(5.0), v(200.0)]),
            Reading::Value(0.025)
        );
        assert_eq!(reading(&ratio, 100, &[v(5.0), v(50.0)]), Reading::NoData);
        assert_eq!(reading(&ratio, 0, &[v(0.0), v(0.0)]), Reading::NoData);
        let failed = QueryOutcome::Error {
            message: "refused".to_owned(),
        };
        assert_eq!(
            reading(&ratio, 0, &[v(1.0), failed]),
            Reading::Error("refused".to_owned())
        );
        let value = check(CheckKind::Value);
        assert_eq!(reading(&value, 100, &[v(0.3)]), Reading::Value(0.3));
        assert_eq!(
            reading(&value, 100, &[QueryOutcome::NoData]),
            Reading::NoData
        );
    }
}
