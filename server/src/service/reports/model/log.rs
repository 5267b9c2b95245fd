//! The report's risk log with its history, and the incidents with their counts — the
//! "status reports on the number of issues encountered, and actions taken" of a
//! release's exit criteria.

use rollgate_core::release::Severity;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::service::releases::incidents::Incident;

/// One change of the risk log, from the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskNote {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who (a token's name).
    pub by: String,
    /// The risk's id.
    pub risk: String,
    /// What changed, in words (`added`, `status open → closed`, …).
    pub change: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The release's incidents, counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentSummary {
    /// How many were logged.
    pub total: usize,
    /// Per severity, worst first (only severities that occurred).
    pub by_severity: Vec<SeverityCount>,
    /// How many are still open.
    pub open: usize,
    /// How many are mitigated, not resolved.
    pub mitigated: usize,
    /// How many are resolved.
    pub resolved: usize,
    /// The mean time from logged to resolved, of the resolved ones, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_seconds_to_resolve: Option<u64>,
    /// The longest time from logged to resolved, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_seconds_to_resolve: Option<u64>,
    /// Actions taken on them, in all.
    pub actions: usize,
    /// Every incident, in the order logged.
    pub incidents: Vec<Incident>,
}

/// The incidents of one severity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeverityCount {
    /// The severity.
    pub severity: Severity,
    /// How many were logged.
    pub count: usize,
    /// How many of them are resolved.
    pub resolved: usize,
    /// Their mean time to resolve, in seconds (of the resolved ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_seconds_to_resolve: Option<u64>,
    /// Actions taken on them.
    pub actions: usize,
}
