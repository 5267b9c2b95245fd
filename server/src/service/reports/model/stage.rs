//! The report's stages: when each opened and closed, how it ended, and its health
//! checks aggregated over the analysis records (and each check as a series for the
//! charts).

use rollgate_core::analysis::{CheckVerdict, Verdict};
use rollgate_core::release::CheckKind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How a stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageEnd {
    /// Never applied.
    NotReached,
    /// Still applied.
    Open,
    /// The next stage was applied.
    Advanced,
    /// The release completed from it.
    Completed,
    /// The release was rolled back from it.
    RolledBack,
}

/// One stage of the plan and what happened in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageReport {
    /// Its index in the plan.
    pub index: usize,
    /// Its audience.
    pub audience: String,
    /// The planned percentage of the audience.
    pub planned_percent: f64,
    /// The planned bake time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake: Option<String>,
    /// When it was applied.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opened_at: Option<OffsetDateTime>,
    /// When the next stage was applied or the release ended.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// How long it was applied (to the report's time while open), in seconds.
    #[serde(default)]
    pub duration_seconds: Option<u64>,
    /// Seconds of it spent paused.
    pub paused_seconds: u64,
    /// The percentages applied in it, in order (the planned one, then manual changes).
    pub percentages: Vec<f64>,
    /// How it ended.
    pub end: StageEnd,
    /// Analysis intervals recorded in it.
    pub analyses: usize,
    /// How often the controller decided each verdict in it.
    pub verdicts: VerdictCounts,
    /// Each planned health check, aggregated over its records in this stage.
    pub checks: Vec<CheckSummary>,
    /// The sample-ratio check in this stage, when exposures were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_ratio: Option<SampleRatioSummary>,
}

/// How often each interval verdict was decided.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerdictCounts {
    /// `advance`.
    pub advance: u32,
    /// `hold`.
    pub hold: u32,
    /// `pause`.
    pub pause: u32,
    /// `rollback`.
    pub rollback: u32,
    /// `complete`.
    pub complete: u32,
}

impl VerdictCounts {
    /// Counts one verdict.
    pub(crate) fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Advance => self.advance += 1,
            Verdict::Hold => self.hold += 1,
            Verdict::Pause => self.pause += 1,
            Verdict::Rollback => self.rollback += 1,
            Verdict::Complete => self.complete += 1,
        }
    }
}

/// How often each check verdict came out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckVerdictCounts {
    /// Within bounds, no regression.
    pub pass: u32,
    /// Nothing to judge.
    pub no_data: u32,
    /// A query failed.
    pub error: u32,
    /// Outside its bound.
    pub breach: u32,
    /// Worse than control.
    pub regression: u32,
}

impl CheckVerdictCounts {
    /// Counts one verdict.
    pub(crate) fn add(&mut self, verdict: CheckVerdict) {
        match verdict {
            CheckVerdict::Pass => self.pass += 1,
            CheckVerdict::NoData => self.no_data += 1,
            CheckVerdict::Error => self.error += 1,
            CheckVerdict::Breach => self.breach += 1,
            CheckVerdict::Regression => self.regression += 1,
        }
    }
}

/// Smallest, largest and last value of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Last.
    pub last: f64,
}

/// What a check came to over a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// No record of it in this stage.
    NotAnalysed,
    /// Only empty results.
    NoData,
    /// Only failed queries and empty results.
    Errors,
    /// Passed whenever it had data.
    Passed,
    /// Outside its bound at least once.
    Breached,
    /// Found worse than control at least once.
    Regressed,
}

/// One health check over one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckSummary {
    /// The check's name.
    pub name: String,
    /// `ratio` or `value`.
    pub kind: CheckKind,
    /// A regression rolls back (else it pauses).
    pub critical: bool,
    /// The guardrail's upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The guardrail's lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Intervals with a record of this check.
    pub intervals: u32,
    /// The treatment's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment: Option<Spread>,
    /// The control's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<Spread>,
    /// How often each verdict came out.
    pub verdicts: CheckVerdictCounts,
    /// Intervals whose treatment was outside the guardrail's bound, whatever the
    /// interval's verdict (a regression verdict takes precedence over a breach).
    #[serde(default)]
    pub outside_bound: u32,
    /// The longest run of breaches in a row.
    pub longest_breach_run: u32,
    /// The comparison's statistic at the last interval that computed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// Its rejection threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The verdict of the last interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verdict: Option<CheckVerdict>,
    /// What it came to.
    pub outcome: CheckOutcome,
}

/// The sample-ratio check over one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SampleRatioSummary {
    /// Intervals with exposures recorded.
    pub intervals: u32,
    /// Intervals that found the split broken.
    pub mismatches: u32,
    /// The treatment's expected share (0..1), last recorded.
    pub expected_share: f64,
    /// The observed share, last recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_share: Option<f64>,
    /// The test's last Bayes factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
}

/// A health check over the whole release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthSeries {
    /// The check's name.
    pub check: String,
    /// `ratio` or `value`.
    pub kind: CheckKind,
    /// Its upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Its lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// One point per recorded interval.
    pub points: Vec<HealthPoint>,
}

/// One interval of one check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthPoint {
    /// The evaluation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The stage.
    pub stage: usize,
    /// The treatment's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment: Option<f64>,
    /// The control's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<f64>,
    /// The check's verdict.
    pub verdict: CheckVerdict,
}
