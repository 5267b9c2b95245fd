//! The validation report as JSON (PRODUCT.md §5): the shape stored once a release ends
//! and served at `GET /api/v1/releases/{id}/report`. Markdown and HTML are rendered
//! from this document alone.
//!
//! Values Prometheus gave as `±Inf` or `NaN` have no JSON number: they are absent.

use rollgate_core::analysis::{CheckVerdict, Verdict};
use rollgate_core::release::{CheckKind, KpiTarget, ReleaseState, Strategy};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::changelog::{ChangelogEntry, Feature};

/// A release's validation report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// What was released.
    pub release: ReleaseSummary,
    /// True once the release has ended: the report is then stored and never rewritten.
    /// False for a report of a release still under way (computed on demand, not stored).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// When the report was generated.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: OffsetDateTime,
    /// The release's state: `completed`, `rolled_back`, `cancelled`, or where a running
    /// release stands.
    pub outcome: ReleaseState,
    /// Dates of the release's life.
    pub dates: Dates,
    /// The furthest stage applied, if the release started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_reached: Option<StageReached>,
    /// Who approved, and when.
    pub approvals: Vec<ApprovalNote>,
    /// Every planned stage: when it opened and closed, its checks.
    pub stages: Vec<StageReport>,
    /// The rollout percentage over time (one point per change).
    pub rollout: Vec<RolloutPoint>,
    /// Each health check over time, treatment against control.
    pub health: Vec<HealthSeries>,
    /// KPIs against the plan's targets.
    pub kpis: KpiReport,
    /// Problems met and what was done about each.
    pub issues: Vec<Issue>,
    /// What the release delivered (internal view of its changelog entry).
    pub changelog: ChangelogEntry,
    /// Analysis records read from the timeline.
    pub analysis_records: usize,
}

/// What was released.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReleaseSummary {
    /// The release id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The version it ships.
    pub release_version: String,
    /// The environment.
    pub environment: String,
    /// How its stages were walked.
    pub strategy: Strategy,
    /// Who created it.
    pub author: String,
    /// The flags and the variants released.
    pub features: Vec<Feature>,
}

/// Dates of a release's life.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dates {
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// First stage applied.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<OffsetDateTime>,
    /// Completed, rolled back or cancelled.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<OffsetDateTime>,
    /// From the start to the end (or to the report, while running), in seconds.
    #[serde(default)]
    pub duration_seconds: Option<u64>,
}

/// The furthest stage applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageReached {
    /// Its index in the plan.
    pub index: usize,
    /// Its audience.
    pub audience: String,
    /// The highest percentage of that audience applied.
    pub percent: f64,
    /// How many stages the plan has.
    pub of: usize,
}

/// One approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApprovalNote {
    /// Who.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// What they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

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

/// One change of the rollout percentage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RolloutPoint {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The stage applied (absent after the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// The audience of that stage, or `general` after completion.
    pub audience: String,
    /// The share of the audience with the released variants.
    pub percent: f64,
    /// The timeline event that set it.
    pub event: String,
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

/// Whether KPIs could be measured, and their numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiReport {
    /// The Prometheus asked (the plan's, else the server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    /// False when nothing could be asked (no Prometheus, unreachable, nothing to
    /// measure); `note` says why.
    pub measured: bool,
    /// Why not, or caveats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One result per KPI and scope (each stage reached, and the whole release).
    pub results: Vec<KpiResult>,
}

/// The time range a KPI was measured over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiScope {
    /// One stage, from its opening to its close.
    Stage,
    /// The whole release, from the start to the end.
    Release,
}

/// A KPI against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiVerdict {
    /// Within the target.
    Met,
    /// Outside the target.
    Missed,
    /// Prometheus answered with nothing (empty or `NaN`).
    NoData,
    /// Prometheus could not be asked or refused the query.
    NotMeasured,
}

/// One KPI over one scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiResult {
    /// The KPI's name.
    pub kpi: String,
    /// Its target.
    pub target: KpiTarget,
    /// Stage or whole release.
    pub scope: KpiScope,
    /// The stage, for `stage` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// The released flag, when the query names one (`{{flag}}` or `{{variant}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Start of the range.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    /// End of the range: the evaluation time.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    /// What `{{window}}` stood for (the range's length).
    pub window: String,
    /// Every query sent.
    pub measurements: Vec<KpiMeasurement>,
    /// The value judged: the treatment's when the query is per variant, else the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The control's value, when the query is per variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<f64>,
    /// Against the target.
    pub verdict: KpiVerdict,
}

/// The cohort a KPI query was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiArm {
    /// The released variant.
    Treatment,
    /// The control variant.
    Control,
    /// Everyone (the query does not use `{{variant}}`).
    All,
}

/// One KPI query and its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiMeasurement {
    /// The cohort.
    pub arm: KpiArm,
    /// The variant, for treatment and control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The PromQL sent.
    pub promql: String,
    /// The number, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Why there is none: `no data`, or the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// What kind of issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A check breached its bound or regressed against control.
    FailedCheck,
    /// The stage held without data to judge.
    NoData,
    /// Queries to Prometheus failed.
    QueryErrors,
    /// The traffic split did not match the percentage.
    SampleRatioMismatch,
    /// The release was paused.
    Paused,
    /// The release was rolled back.
    RolledBack,
    /// An incident was logged.
    Incident,
    /// The scheduler could not start the release.
    StartBlocked,
}

/// A problem met during the release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Issue {
    /// What kind.
    pub kind: IssueKind,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// When it was last seen (for issues that span intervals).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
    /// The stage it happened in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// What happened, in one sentence.
    pub summary: String,
    /// What was done about it, in order.
    pub actions: Vec<ActionTaken>,
}

/// Something done in response to an issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionTaken {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who (`system:controller`, `system:scheduler` or a token's name).
    pub by: String,
    /// What, in words.
    pub action: String,
}

impl VerdictCounts {
    /// Counts one verdict.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Advance => self.advance += 1,
            Verdict::Hold => self.hold += 1,
            Verdict::Pause => self.pause += 1,
            Verdict::Rollback => self.rollback += 1,
            Verdict::Complete => self.complete += 1,
        }
    }
}

impl CheckVerdictCounts {
    /// Counts one verdict.
    pub fn add(&mut self, verdict: CheckVerdict) {
        match verdict {
            CheckVerdict::Pass => self.pass += 1,
            CheckVerdict::NoData => self.no_data += 1,
            CheckVerdict::Error => self.error += 1,
            CheckVerdict::Breach => self.breach += 1,
            CheckVerdict::Regression => self.regression += 1,
        }
    }
}
