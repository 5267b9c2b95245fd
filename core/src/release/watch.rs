//! The watch after release (docs/release-plan.md, "watch"): once the last stage is
//! over, the released variant keeps being measured against the guardrails of the plan's
//! analysis checks for `duration`; a regression alerts or rolls back as `on_regression`
//! says, and the end of the watch measures the KPIs over it for the report's addendum.
//!
//! After completion everyone has the released variant, so there is no control cohort
//! to compare with: only a check's absolute bounds (`max`, `min`) are judged, each
//! breached `consecutive_breaches` times in a row before it counts. A failed query or
//! missing data never counts as a regression (nor as a pass): it holds.
//!
//! Pure like the rest of the crate: [`judge`] takes `now` and this look's readings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Analysis, AnalysisCheck, Duration, ReleasePlan};
use crate::validate::FieldError;

/// The longest watch a plan may ask for: 90 days.
pub const MAX_WATCH_SECONDS: u64 = 90 * 86_400;

/// The watch after release, as a plan sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// How long the released variant is watched after the last stage (`"7d"`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "7d"))]
    pub duration: Duration,
    /// The analysis checks watched, by name (each with a `max` or `min`); empty: every
    /// check of the analysis that has one.
    #[serde(default)]
    pub checks: Vec<String>,
    /// What a regression does.
    #[serde(default)]
    pub on_regression: OnRegression,
}

/// What a regression during the watch does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnRegression {
    /// A `watch_regression` event (timeline and webhooks); the watch goes on.
    #[default]
    Alert,
    /// Every flag back to control; the release ends `rolled_back`.
    Rollback,
}

impl OnRegression {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            OnRegression::Alert => "alert",
            OnRegression::Rollback => "rollback",
        }
    }
}

impl Watch {
    /// The checks the watch judges: those it names, or every guarded check.
    pub fn watched<'a>(&self, analysis: &'a Analysis) -> Vec<&'a AnalysisCheck> {
        analysis
            .checks
            .iter()
            .filter(|c| is_guarded(c))
            .filter(|c| self.checks.is_empty() || self.checks.contains(&c.name))
            .collect()
    }
}

fn is_guarded(check: &AnalysisCheck) -> bool {
    check.max.is_some() || check.min.is_some()
}

/// Field errors of the plan's `watch`.
pub(crate) fn check(errors: &mut Vec<FieldError>, plan: &ReleasePlan) {
    let Some(watch) = &plan.watch else {
        return;
    };
    if watch.duration.as_secs() > MAX_WATCH_SECONDS {
        errors.push(FieldError::new(
            "watch.duration",
            format!(
                "must be at most 90d, got {} (a longer watch is a new release)",
                watch.duration
            ),
        ));
    }
    let Some(analysis) = &plan.analysis else {
        errors.push(FieldError::new(
            "watch",
            "needs an `analysis` section: the watch queries its checks' guardrails",
        ));
        return;
    };
    for (index, name) in watch.checks.iter().enumerate() {
        let field = format!("watch.checks[{index}]");
        match analysis.checks.iter().find(|c| &c.name == name) {
            None => errors.push(FieldError::new(
                field,
                format!("no analysis check is named {name:?}"),
            )),
            Some(c) if !is_guarded(c) => errors.push(FieldError::new(
                field,
                format!("check {name:?} has no `max` or `min`: there is nothing to watch"),
            )),
            Some(_) => {}
        }
        if watch.checks[..index].contains(name) {
            errors.push(FieldError::new(
                format!("watch.checks[{index}]"),
                format!("{name:?} is named twice"),
            ));
        }
    }
    if watch.checks.is_empty() && !analysis.checks.iter().any(is_guarded) {
        errors.push(FieldError::new(
            "watch.checks",
            "no analysis check has a `max` or `min`: there is nothing to watch",
        ));
    }
}

/// What one look at a check gave: the released variant's value, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// The value (a ratio check's `errors / total`, a value check's `query`).
    Value(f64),
    /// An empty result, `NaN`, or a zero denominator.
    NoData,
    /// A query failed.
    Error(String),
}

/// What the watch carries from one look to the next.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchProgress {
    /// Per check, its bound breached this many looks in a row.
    #[serde(default)]
    pub breaches: BTreeMap<String, u32>,
    /// Looks so far.
    #[serde(default)]
    pub looks: u32,
    /// Regressions found so far.
    #[serde(default)]
    pub regressions: u32,
}

/// What the watch does after one look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchDecision {
    /// Keep watching; why, when something held it.
    Hold(String),
    /// A guardrail was breached enough times in a row: alert or roll back, and why.
    Regression(String),
}

/// Judges one look: each reading against its check's bounds. A check breached
/// `consecutive_breaches` times in a row is a regression — once: a breach that goes on
/// is not reported again until a look within bounds has ended it. Returns the decision
/// and the progress to keep.
pub fn judge(
    watched: &[&AnalysisCheck],
    progress: &WatchProgress,
    readings: &[Reading],
) -> (WatchDecision, WatchProgress) {
    let mut next = progress.clone();
    next.looks = next.looks.saturating_add(1);
    let mut regressions = Vec::new();
    let mut held = Vec::new();
    for (check, reading) in watched.iter().zip(readings) {
        let count = next.breaches.entry(check.name.clone()).or_insert(0);
        match reading {
            Reading::Value(value) => match breach(check, *value) {
                Some(what) => {
                    *count = count.saturating_add(1);
                    if *count == check.consecutive_breaches.max(1) {
                        regressions.push(format!(
                            "{}: {what} ({} looks in a row)",
                            check.name, *count
                        ));
                    }
                }
                None => *count = 0,
            },
            Reading::NoData => held.push(format!("{}: no data", check.name)),
            Reading::Error(message) => {
                held.push(format!("{}: query failed: {message}", check.name))
            }
        }
    }
    if !regressions.is_empty() {
        next.regressions = next.regressions.saturating_add(1);
        return (WatchDecision::Regression(regressions.join("; ")), next);
    }
    (WatchDecision::Hold(held.join("; ")), next)
}

/// The bound `value` breaks, said in words.
fn breach(check: &AnalysisCheck, value: f64) -> Option<String> {
    if let Some(max) = check.max
        && value > max
    {
        return Some(format!("{value} is above its max {max}"));
    }
    if let Some(min) = check.min
        && value < min
    {
        return Some(format!("{value} is below its min {min}"));
    }
    None
}

/// When a watch that started at `started` ends.
pub fn ends_at(watch: &Watch, started: OffsetDateTime) -> OffsetDateTime {
    started + watch.duration.to_time()
}

#[cfg(test)]
mod tests;
