//! The report's KPIs: each one measured over every stage and the whole release, against
//! the plan's target.

use rollgate_core::release::KpiTarget;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
    /// The watch after release (a report addendum).
    Watch,
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
