//! The stored release: the plan plus everything that happened to it — state, author,
//! approvals, where the rollout stands, the flag configurations it found when it
//! started, the last preflight, and the timeline. The store's version travels next to it as `version`.

use std::collections::BTreeMap;

use rollgate_core::analysis::Progress;
use rollgate_core::model::FlagConfig;
use rollgate_core::release::{Percent, Position, ReleasePlan, ReleaseState};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::service::Principal;

/// A release as stored and returned (docs/release-plan.md, "The release as the server returns it").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Release {
    /// The release's id (also its salt, so its flags share cohorts).
    pub id: String,
    /// The plan.
    #[serde(flatten)]
    pub plan: ReleasePlan,
    /// Where it is in its life.
    pub state: ReleaseState,
    /// Who created it; their approval does not count.
    pub author: Actor,
    /// Approvals given since the plan last changed materially.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// Index of the stage applied to the flags; `null` before the start.
    pub current_stage: Option<usize>,
    /// Share of the current stage's audience exposed (0 before the start).
    #[schema(value_type = f64)]
    pub current_percent: Percent,
    /// The salt written on every flag of the release.
    pub salt: String,
    /// When the current stage (or percentage) was applied, or the release resumed:
    /// bake time counts from here.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stage_started_at: Option<OffsetDateTime>,
    /// When the announcement went out.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub announced_at: Option<OffsetDateTime>,
    /// Each released flag's configuration in the environment when the release started.
    #[serde(default)]
    pub baseline: BTreeMap<String, FlagConfig>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Everything that happened, oldest first.
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
    /// The last preflight (at submit, then at start): every analysis and KPI query
    /// asked once of Prometheus, and what each gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<super::preflight::Preflight>,
    /// What the canary controller carries from one analysis to the next (bake time
    /// with data, errors and breaches in a row, the tests' state); kept here so that any
    /// replica continues where the last one left off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub analysis_progress: Option<Progress>,
    /// The owners' answers on the plan's resources (committed or declined), one per
    /// resource at most.
    #[serde(default)]
    pub commitments: Vec<super::commitments::Commitment>,
    /// The watch after the last stage, once it has begun (the plan sets `watch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_record: Option<super::watch::WatchRecord>,
    /// The living risk log: the plan's risks and those added since, as they stand now
    /// (docs/release-plan.md, "The risk log").
    #[serde(default)]
    pub risk_log: Vec<rollgate_core::release::LoggedRisk>,
    /// The incidents logged, each with its severity, owner, status and actions.
    #[serde(default)]
    pub incidents: Vec<super::incidents::Incident>,
}

impl Release {
    /// Where the rollout stands, once started.
    pub(crate) fn position(&self) -> Option<Position> {
        self.current_stage.map(|stage| Position {
            stage,
            percent: self.current_percent,
        })
    }

    /// Approvals that count: not the author's.
    pub(crate) fn approval_count(&self) -> usize {
        self.approvals
            .iter()
            .filter(|a| a.by.id != self.author.id)
            .count()
    }

    /// Do the approvals suffice: enough of them, and a sign-off for every function
    /// the plan requires?
    pub(crate) fn approvals_complete(&self) -> bool {
        self.approval_count() >= self.plan.approvals_required as usize
            && self.missing_signoffs().is_empty()
    }

    /// The functions of `signoffs_required` nobody has signed off for yet.
    pub(crate) fn missing_signoffs(&self) -> Vec<String> {
        self.plan
            .signoffs_required
            .iter()
            .filter(|function| {
                !self.approvals.iter().any(|a| {
                    a.by.id != self.author.id && a.function.as_deref() == Some(function.as_str())
                })
            })
            .cloned()
            .collect()
    }
}

/// Who did something: a token (id and name) or a part of the server (`system:…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    /// Token id, or `system:scheduler` / `system:controller`.
    pub id: String,
    /// The token's name, or the component's.
    pub name: String,
}

impl Actor {
    /// The caller behind a token.
    pub(crate) fn of(principal: &Principal) -> Actor {
        Actor {
            id: principal.id().to_owned(),
            name: principal.name().to_owned(),
        }
    }

    /// A part of the server acting on its own (`system:<component>`).
    pub(crate) fn system(component: &str) -> Actor {
        Actor {
            id: format!("system:{component}"),
            name: component.to_owned(),
        }
    }

    /// How the audit log names this actor: `name (id)`.
    pub(crate) fn audit_name(&self) -> String {
        if self.id.starts_with("system:") {
            self.id.clone()
        } else {
            format!("{} ({})", self.name, self.id)
        }
    }
}

/// One approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    /// Who approved.
    pub by: Actor,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// What they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The function they signed off for, when they are a member of the release group
    /// holding one the plan requires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

/// What happened, as the timeline and the webhooks name it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The release was created.
    Created,
    /// The plan was replaced.
    Revised,
    /// Approvals were dropped because what ships or how changed.
    ApprovalsReset,
    /// Submitted for approval.
    Submitted,
    /// One approval was given.
    ApprovalGiven,
    /// The approvals are in.
    Approved,
    /// The announcement went out.
    Announced,
    /// The first stage was applied.
    Started,
    /// The scheduler could not start the release (e.g. the checklist is not done).
    StartBlocked,
    /// The next stage was applied.
    StageAdvanced,
    /// The percentage within the current audience changed.
    PercentSet,
    /// Advancing stopped.
    Paused,
    /// Advancing resumed.
    Resumed,
    /// Released to everyone.
    Completed,
    /// Every flag back to control.
    RolledBack,
    /// Withdrawn before it started.
    Cancelled,
    /// A readiness item was ticked or unticked.
    ChecklistUpdated,
    /// An incident was logged.
    Incident,
    /// The canary controller analysed the running stage and held it (the record is in
    /// `analysis`; analyses that led to an action are on that action's event).
    Analysis,
    /// A rollback was served: the revision of its write, when it was written and
    /// served, and how many connected SDK streams had received it.
    RollbackPropagated,
    /// Someone disabled one of the release's flags (the kill switch); the release was
    /// paused in the same commit.
    FlagDisabled,
    /// Someone enabled a flag of the release again (the release stays paused until a
    /// release manager resumes it).
    FlagEnabled,
    /// A task's status or notes changed.
    TaskUpdated,
    /// A task is open past its due date (announced once per due date).
    TaskOverdue,
    /// A resource's owner committed it.
    ResourceCommitted,
    /// A resource's owner declined it (with a reason).
    ResourceDeclined,
    /// A revision changed a committed (or declined) resource: its answer was withdrawn.
    CommitmentWithdrawn,
    /// A guardrail regressed during the watch after release (`on_regression: alert`;
    /// with `rollback` the rollback carries the reason).
    WatchRegression,
    /// The watch after release is over; its KPI addendum is on the report.
    WatchEnded,
    /// A risk was added to the risk log (by hand, or seeded from the plan).
    RiskAdded,
    /// A risk of the log changed (status, likelihood, impact, mitigation or owner).
    RiskUpdated,
    /// An incident changed: its status, severity or owner, or an action taken.
    IncidentUpdated,
}

impl EventKind {
    /// Every kind.
    pub(crate) const ALL: [EventKind; 32] = [
        EventKind::Created,
        EventKind::Revised,
        EventKind::ApprovalsReset,
        EventKind::Submitted,
        EventKind::ApprovalGiven,
        EventKind::Approved,
        EventKind::Announced,
        EventKind::Started,
        EventKind::StartBlocked,
        EventKind::StageAdvanced,
        EventKind::PercentSet,
        EventKind::Paused,
        EventKind::Resumed,
        EventKind::Completed,
        EventKind::RolledBack,
        EventKind::Cancelled,
        EventKind::ChecklistUpdated,
        EventKind::Incident,
        EventKind::Analysis,
        EventKind::RollbackPropagated,
        EventKind::FlagDisabled,
        EventKind::FlagEnabled,
        EventKind::TaskUpdated,
        EventKind::TaskOverdue,
        EventKind::ResourceCommitted,
        EventKind::ResourceDeclined,
        EventKind::CommitmentWithdrawn,
        EventKind::WatchRegression,
        EventKind::WatchEnded,
        EventKind::RiskAdded,
        EventKind::RiskUpdated,
        EventKind::IncidentUpdated,
    ];

    /// The kind's name on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Revised => "revised",
            EventKind::ApprovalsReset => "approvals_reset",
            EventKind::Submitted => "submitted",
            EventKind::ApprovalGiven => "approval_given",
            EventKind::Approved => "approved",
            EventKind::Announced => "announced",
            EventKind::Started => "started",
            EventKind::StartBlocked => "start_blocked",
            EventKind::StageAdvanced => "stage_advanced",
            EventKind::PercentSet => "percent_set",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::Completed => "completed",
            EventKind::RolledBack => "rolled_back",
            EventKind::Cancelled => "cancelled",
            EventKind::ChecklistUpdated => "checklist_updated",
            EventKind::Incident => "incident",
            EventKind::Analysis => "analysis",
            EventKind::RollbackPropagated => "rollback_propagated",
            EventKind::FlagDisabled => "flag_disabled",
            EventKind::FlagEnabled => "flag_enabled",
            EventKind::TaskUpdated => "task_updated",
            EventKind::TaskOverdue => "task_overdue",
            EventKind::ResourceCommitted => "resource_committed",
            EventKind::ResourceDeclined => "resource_declined",
            EventKind::CommitmentWithdrawn => "commitment_withdrawn",
            EventKind::WatchRegression => "watch_regression",
            EventKind::WatchEnded => "watch_ended",
            EventKind::RiskAdded => "risk_added",
            EventKind::RiskUpdated => "risk_updated",
            EventKind::IncidentUpdated => "incident_updated",
        }
    }

    /// The kind named `name`.
    pub(crate) fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One entry of a release's timeline: who did what, when and why, and what it changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// What happened.
    pub event: EventKind,
    /// Who.
    pub by: Actor,
    /// The state before, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ReleaseState>,
    /// The state after, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<ReleaseState>,
    /// The stage applied after the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// The percentage of the stage's audience after the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub percent: Option<Percent>,
    /// Why (a comment, or the reason of a rollback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Event-specific facts: an incident's `what` and `action`, a checklist item, the
    /// flags written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// The metric values that justified an automatic action (written by the canary
    /// controller: PromQL, values per arm, statistic, verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub analysis: Option<serde_json::Value>,
}

impl TimelineEvent {
    /// An event with only the essentials; fill in the rest with struct update syntax.
    pub(crate) fn new(at: OffsetDateTime, event: EventKind, by: &Actor) -> TimelineEvent {
        TimelineEvent {
            at,
            event,
            by: by.clone(),
            from: None,
            to: None,
            stage: None,
            percent: None,
            comment: None,
            details: None,
            analysis: None,
        }
    }
}
