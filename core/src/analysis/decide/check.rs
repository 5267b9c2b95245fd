//! One check in one interval: read its queries' outcomes into values per arm, then
//! judge them — the guardrail on the treatment and the comparison with control.

use super::progress::{CheckProgress, Comparison};
use crate::analysis::{Arm, CheckRecord, CheckVerdict, QueryOutcome, QueryRecord};
use crate::release::{AnalysisCheck, CheckKind};

/// Counts above this are taken as this (they would overflow the tests' sums).
const COUNT_CAP: f64 = 1e15;

/// One arm of a check, as read from its queries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum ArmValue {
    /// Ratio checks: requests and errors in the window.
    Counts { total: f64, errors: f64 },
    /// Value checks: the value.
    Value(f64),
}

impl ArmValue {
    /// The value guardrails and records use: the ratio, or the value.
    pub(super) fn value(self) -> f64 {
        match self {
            ArmValue::Counts { total, errors } => errors / total,
            ArmValue::Value(value) => value,
        }
    }

    /// Requests, for `min_samples` (ratio checks only).
    pub(super) fn requests(self) -> Option<f64> {
        match self {
            ArmValue::Counts { total, .. } => Some(total),
            ArmValue::Value(_) => None,
        }
    }
}

/// What a check's queries gave this interval.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Reading {
    /// A query failed.
    Error(String),
    /// Nothing to judge.
    NoData,
    /// Values for the arms that were needed (control only when the stage has one).
    Values {
        treatment: ArmValue,
        control: Option<ArmValue>,
    },
}

/// Reads `queries` for `check`. With `control` false the stage has no control cohort and
/// control queries are ignored.
pub(super) fn read(check: &AnalysisCheck, queries: &[QueryRecord], control: bool) -> Reading {
    if let Some(message) = queries.iter().find_map(|q| match &q.outcome {
        QueryOutcome::Error { message } => Some(message.clone()),
        _ => None,
    }) {
        return Reading::Error(message);
    }
    let arm = |arm: Arm| -> Option<ArmValue> {
        let outcome = |role: &str| {
            queries
                .iter()
                .find(|q| q.arm == arm && q.role == role)
                .map(|q| &q.outcome)
        };
        match check.kind {
            CheckKind::Ratio => {
                let total = match outcome("total")? {
                    QueryOutcome::Value { value } if value.is_finite() && *value > 0.0 => {
                        value.min(COUNT_CAP)
                    }
                    _ => return None,
                };
                // An absent error series next to a request count means no errors: the
                // counter of 5xx answers only exists once one happened.
                let errors = match outcome("errors")? {
                    QueryOutcome::Value { value } if value.is_finite() && *value >= 0.0 => {
                        value.min(total)
                    }
                    QueryOutcome::NoData => 0.0,
                    _ => return None,
                };
                Some(ArmValue::Counts { total, errors })
            }
            CheckKind::Value => match outcome("query")? {
                QueryOutcome::Value { value } if !value.is_nan() => Some(ArmValue::Value(*value)),
                _ => None,
            },
        }
    };
    let Some(treatment) = arm(Arm::Treatment) else {
        return Reading::NoData;
    };
    if !control {
        return Reading::Values {
            treatment,
            control: None,
        };
    }
    match arm(Arm::Control) {
        Some(control) => Reading::Values {
            treatment,
            control: Some(control),
        },
        None => Reading::NoData,
    }
}

/// Is the treatment's value outside the check's bounds?
pub(super) fn breached(check: &AnalysisCheck, treatment: ArmValue) -> bool {
    let value = treatment.value();
    check.max.is_some_and(|max| value > max) || check.min.is_some_and(|min| value < min)
}

/// Feeds one interval to the check's comparison; `scale` is the share of the window's
/// counts that belongs to this interval (windows longer than the interval overlap, and
/// a request must not count twice as evidence).
pub(super) fn compare(
    check: &AnalysisCheck,
    progress: &mut CheckProgress,
    treatment: ArmValue,
    control: ArmValue,
    scale: f64,
) {
    match (&mut progress.comparison, treatment, control) {
        (
            Comparison::Count(test),
            ArmValue::Counts {
                total: r_t,
                errors: e_t,
            },
            ArmValue::Counts {
                total: r_c,
                errors: e_c,
            },
        ) => test.observe(r_t * scale, e_t * scale, r_c * scale, e_c * scale),
        (Comparison::Mean(test), ArmValue::Value(t), ArmValue::Value(c)) if t > 0.0 && c > 0.0 => {
            // Worse is higher, unless the check only bounds the value from below.
            if check.min.is_some() && check.max.is_none() {
                test.observe(c.ln(), t.ln());
            } else {
                test.observe(t.ln(), c.ln());
            }
        }
        _ => {}
    }
}

/// The comparison's evidence: `(statistic, threshold, rejected)`.
pub(super) fn evidence(progress: &CheckProgress) -> (f64, f64, bool) {
    let evidence = match &progress.comparison {
        Comparison::Count(test) => test.evidence(),
        Comparison::Mean(test) => test.evidence(),
    };
    (
        finite(evidence.statistic()),
        finite(evidence.log_threshold.exp()),
        evidence.rejected(),
    )
}

/// A record of the check with its queries and nothing judged yet.
pub(super) fn record(check: &AnalysisCheck, queries: &[QueryRecord]) -> CheckRecord {
    CheckRecord {
        name: check.name.clone(),
        kind: check.kind,
        critical: check.critical,
        queries: queries.iter().map(finite_query).collect(),
        treatment: None,
        control: None,
        max: check.max,
        min: check.min,
        breaches_in_row: 0,
        statistic: None,
        threshold: None,
        verdict: CheckVerdict::NoData,
    }
}

/// JSON has no infinity: clamp to the largest finite numbers (NaN becomes 0).
pub(super) fn finite(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(-f64::MAX, f64::MAX)
    }
}

fn finite_query(query: &QueryRecord) -> QueryRecord {
    let mut query = query.clone();
    if let QueryOutcome::Value { value } = &mut query.outcome {
        *value = finite(*value);
    }
    query
}
