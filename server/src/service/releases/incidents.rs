//! Tracked incidents as a release keeps them: what happened, how bad, who owns it,
//! where it stands, and every action taken with its time and author — beside the plan,
//! like the risk log, so that managing an issue never touches approvals. The timeline
//! keeps each change (`incident`, `incident_updated`); this record is where it stands.

use rollgate_core::release::{IncidentStatus, Percent, Severity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Actor, Release};

/// One incident of a release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Incident {
    /// Its id within the release, `incident-1`, `incident-2`…
    pub id: String,
    /// What happened.
    pub what: String,
    /// How bad it is.
    pub severity: Severity,
    /// Who sees it through.
    pub owner: String,
    /// Where it stands.
    pub status: IncidentStatus,
    /// The risk of the log it was (that risk is `occurred`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// Who logged it.
    pub opened_by: Actor,
    /// When it was logged.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: OffsetDateTime,
    /// The stage applied when it was logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// The percentage of that stage's audience when it was logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub percent: Option<Percent>,
    /// When it was last mitigated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub mitigated_at: Option<OffsetDateTime>,
    /// When it was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<OffsetDateTime>,
    /// What was done about it, oldest first.
    #[serde(default)]
    pub actions: Vec<IncidentAction>,
}

/// One action taken on an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentAction {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who.
    pub by: Actor,
    /// What was done.
    pub action: String,
}

impl Incident {
    /// Seconds from being logged to being resolved, once resolved.
    pub(crate) fn seconds_to_resolve(&self) -> Option<u64> {
        self.resolved_at
            .map(|at| u64::try_from((at - self.opened_at).whole_seconds()).unwrap_or(0))
    }
}

impl Release {
    /// The incident `id`, if the release has it.
    pub(crate) fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id == id)
    }
}
