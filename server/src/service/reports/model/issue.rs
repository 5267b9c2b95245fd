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
    /// A flag of the release was disabled (the kill switch), pausing the release.
    FlagDisabled,
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

/// The record of a rollback's reach, from the `rollback_propagated` event the server
/// appends once the rollback's write is served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RollbackRecord {
    /// The store revision of the write that put the flags back to control.
    pub revision: u64,
    /// When that write was committed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub written_at: Option<OffsetDateTime>,
    /// When the server served it (OFREP answered with control from then on).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub served_at: Option<OffsetDateTime>,
    /// SDK streams of the environment open at that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_streams_connected: Option<u64>,
    /// Of those, how many had been handed the rollback (within the server's wait).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk_streams_received: Option<u64>,
}

impl RollbackRecord {
    /// The record on a `rollback_propagated` event, if it has a revision.
    pub(crate) fn of(event: &crate::service::releases::TimelineEvent) -> Option<RollbackRecord> {
        let details = event.details.as_ref()?;
        let time = |field: &str| {
            details.get(field)?.as_str().and_then(|at| {
                OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
            })
        };
        let streams = |field: &str| details.get("sdk_streams")?.get(field)?.as_u64();
        Some(RollbackRecord {
            revision: details.get("revision")?.as_u64()?,
            written_at: time("written_at"),
            served_at: time("served_at").or(Some(event.at)),
            sdk_streams_connected: streams("connected"),
            sdk_streams_received: streams("received"),
        })
    }

    /// The record in one sentence.
    pub(crate) fn summary(&self) -> String {
        let delay = match (self.written_at, self.served_at) {
            (Some(written), Some(served)) => format!(
                ", served {} ms after it was written",
                (served - written).whole_milliseconds().max(0)
            ),
            _ => String::new(),
        };
        let streams = match (self.sdk_streams_connected, self.sdk_streams_received) {
            (Some(connected), Some(received)) => {
                format!("; {received} of {connected} connected SDK stream(s) had received it")
            }
            _ => String::new(),
        };
        format!(
            "the rollback (store revision {}) reached OFREP{delay}{streams}",
            self.revision
        )
    }
}
