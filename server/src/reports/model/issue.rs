//! The report's issues and the actions taken for each.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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
