//! The record of one analysis: what the controller asked Prometheus, what came back per
//! arm, the statistics, and the verdict. The controller stores one on the release's
//! timeline every interval; the validation report is built from these records alone, so
//! it can always be reproduced.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::release::CheckKind;

/// One interval's analysis of a running stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalysisRecord {
    /// The evaluation time of every query.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// The stage analysed.
    pub stage: usize,
    /// The share of the stage's audience in the treatment, in percent.
    pub percent: f64,
    /// The treatment cohort's variant name (per released flag it is the released
    /// variant; the label apps put on their metrics).
    pub treatment_variant: String,
    /// The control cohort's variant name.
    pub control_variant: String,
    /// Per health check.
    pub checks: Vec<CheckRecord>,
    /// The sample-ratio check, when exposures were available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposures: Option<ExposureRecord>,
    /// Seconds of this stage's bake that counted (time with data), after this interval.
    pub baked_seconds: u64,
    /// What the controller decided.
    pub verdict: Verdict,
    /// Why, in words for the timeline and the report.
    pub reason: String,
}

/// The decision of one interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Open the next stage.
    Advance,
    /// Stay (baking, not enough data, inside a maintenance window, …).
    Hold,
    /// Stop and wait for a person (query errors, sample-ratio mismatch, no data for too
    /// long, a non-critical regression).
    Pause,
    /// Put every flag back to control.
    Rollback,
    /// The last stage passed: the release is complete.
    Complete,
}

impl Verdict {
    /// The verdict's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Advance => "advance",
            Verdict::Hold => "hold",
            Verdict::Pause => "pause",
            Verdict::Rollback => "rollback",
            Verdict::Complete => "complete",
        }
    }
}

/// Which cohort a query was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// Users served the released variant.
    Treatment,
    /// Users in the stage's audience served the control variant.
    Control,
}

/// One PromQL query as sent, and what it gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryRecord {
    /// The cohort.
    pub arm: Arm,
    /// `errors`, `total` or `query` (the plan field the template came from).
    pub role: String,
    /// The PromQL sent, placeholders filled in.
    pub promql: String,
    /// What came back.
    pub outcome: QueryOutcome,
}

/// What a query gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum QueryOutcome {
    /// A number.
    Value {
        /// The number (`±inf` serialized as a string by the caller if needed).
        value: f64,
    },
    /// An empty result or `NaN`.
    NoData,
    /// The query failed (timeout, refused, not Prometheus' JSON, …).
    Error {
        /// What went wrong.
        message: String,
    },
}

/// How one check came out this interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckVerdict {
    /// Within bounds and no regression against control.
    Pass,
    /// Not enough data to judge (empty, `NaN`, or fewer than `min_samples`).
    NoData,
    /// A query failed.
    Error,
    /// The treatment is outside its bound (a breach; fires after
    /// `consecutive_breaches` in a row).
    Breach,
    /// The anytime-valid comparison found the treatment worse than control.
    Regression,
}

/// One check's values and statistics for one interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckRecord {
    /// The check's name.
    pub name: String,
    /// `ratio` or `value`.
    pub kind: CheckKind,
    /// Whether a regression rolls back (else it pauses).
    pub critical: bool,
    /// Every query sent for this check.
    pub queries: Vec<QueryRecord>,
    /// The treatment's value (the ratio for `ratio` checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment: Option<f64>,
    /// The control's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<f64>,
    /// The guardrail's upper bound on the treatment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The guardrail's lower bound on the treatment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Breaches in a row so far, this one included.
    pub breaches_in_row: u32,
    /// The comparison's statistic (mixture likelihood ratio), when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// The statistic's rejection threshold (`1 / alpha` of this check's share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The outcome.
    pub verdict: CheckVerdict,
}

/// The sample-ratio check of one interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExposureRecord {
    /// Treatment exposures counted this interval (rollout evaluations only).
    pub treatment: f64,
    /// Control exposures counted this interval.
    pub control: f64,
    /// The share the split should give the treatment (0..1).
    pub expected_share: f64,
    /// The share observed so far this stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_share: Option<f64>,
    /// The test's Bayes factor.
    pub statistic: f64,
    /// Whether the split is judged broken.
    pub mismatch: bool,
    /// The exposure queries as sent (`role` is `exposures`), and what they gave.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryRecord>,
}
