//! The validation report as JSON (docs/product.md §6): the shape stored once a release ends
//! and served at `GET /api/v1/releases/{id}/report`. Markdown and HTML are rendered
//! from this document alone.
//!
//! Values Prometheus gave as `±Inf` or `NaN` have no JSON number: they are absent.

use rollgate_core::model::FlagConfig;
use rollgate_core::release::{ReleaseState, Strategy, Warning};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::service::changelog::{ChangelogEntry, Feature};

mod issue;
mod kpi;
mod log;
mod stage;

pub use issue::{ActionTaken, Issue, IssueKind, RollbackRecord};
pub use kpi::{KpiArm, KpiMeasurement, KpiReport, KpiResult, KpiScope, KpiVerdict};
pub use log::{IncidentSummary, RiskNote, SeverityCount};
pub use stage::{
    CheckOutcome, CheckSummary, CheckVerdictCounts, HealthPoint, HealthSeries, SampleRatioSummary,
    Spread, StageEnd, StageReport, VerdictCounts,
};

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
    /// The release group: who watched the release, each with their function.
    #[serde(default)]
    pub group: Vec<rollgate_core::release::Member>,
    /// The readiness backlog as it stood when the report was generated.
    #[serde(default)]
    pub tasks: Vec<rollgate_core::release::Task>,
    /// The resources the plan needed.
    #[serde(default)]
    pub resources: Vec<rollgate_core::release::Resource>,
    /// The owners' answers on them.
    #[serde(default)]
    pub commitments: Vec<crate::service::releases::commitments::Commitment>,
    /// The risk log as it stood when the report was generated.
    #[serde(default)]
    pub risk_log: Vec<rollgate_core::release::LoggedRisk>,
    /// Every change of the risk log, oldest first.
    #[serde(default)]
    pub risk_history: Vec<RiskNote>,
    /// The incidents, counted by severity and status, with the time to resolve them and
    /// the actions taken.
    #[serde(default)]
    pub incidents: IncidentSummary,
    /// Every planned stage: when it opened and closed, its checks.
    pub stages: Vec<StageReport>,
    /// The rollout percentage over time (one point per change).
    pub rollout: Vec<RolloutPoint>,
    /// When the release was paused, and until when (absent: still paused).
    #[serde(default)]
    pub pauses: Vec<PauseSpan>,
    /// What the release found and accepted when it started: each flag's configuration
    /// before the start, and the warnings acknowledged (absent before the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_start: Option<BeforeStart>,
    /// Each health check over time, treatment against control.
    pub health: Vec<HealthSeries>,
    /// KPIs against the plan's targets.
    pub kpis: KpiReport,
    /// Problems met and what was done about each.
    pub issues: Vec<Issue>,
    /// How far the rollback had reached when the server recorded it, for a release
    /// rolled back (absent when no record was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackRecord>,
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
    /// The function they signed off for (a member of the release group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The id of the token that approved (how the release group names people).
    #[serde(default)]
    pub principal: String,
}

/// A time the release was paused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PauseSpan {
    /// Paused.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    /// Resumed, or ended (absent while still paused).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<OffsetDateTime>,
}

/// What the release found and accepted when it started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BeforeStart {
    /// Each released flag before the start (the release's `baseline`).
    pub flags: Vec<FlagBefore>,
    /// The warnings the release manager acknowledged to start it.
    #[schema(value_type = Vec<Object>)]
    pub acknowledged: Vec<Warning>,
}

/// One released flag before the start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FlagBefore {
    /// The flag's key.
    pub flag: String,
    /// The variant the release ships.
    pub variant: String,
    /// Its configuration in the environment, as found.
    #[schema(value_type = Object)]
    pub configuration: FlagConfig,
    /// The share of each of the plan's audiences (and everyone) it served the variant.
    pub exposure: Vec<ShareBefore>,
}

/// An audience's share of the released variant before the start, in percent (a range
/// when the flag's own rules decided by attributes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShareBefore {
    /// The audience.
    pub audience: String,
    /// At least this share.
    pub min: f64,
    /// At most this share.
    pub max: f64,
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
    /// The share of *everyone* certainly served the released variants: the percentage
    /// of a `general` stage, 100 once completed, 0 once rolled back; a ring's stage
    /// counts 0, since its share of everyone depends on its size, which the plan does
    /// not say.
    #[serde(default)]
    pub everyone: f64,
    /// The timeline event that set it.
    pub event: String,
}
