//! The one error of the services: why a call failed, as causes a caller can match on.
//!
//! Every cause carries what it is about (the kind and key of a document, the versions
//! that disagree, the fields at fault, the release state that refuses) and nothing of
//! any transport: `http::problem` alone chooses a status and a body for each, and the
//! background tasks decide what to do by cause. The messages (`Display`) are what a
//! client reads as the problem's `detail`, so they are part of the API.

use rollgate_core::release::{ReleaseState, TransitionError, Warning};
use rollgate_core::{FieldError, ParseError};

use super::caller::Forbidden;
use crate::infra::auth::Unauthenticated;
use crate::infra::store::{Kind, StoreError};

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    /// No usable credentials.
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// The caller may not do this.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// The input is not JSON (or not readable as the document asked for).
    #[error("{0}")]
    Malformed(FieldError),
    /// The input is JSON but not acceptable: every field at fault.
    #[error("{} problem(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<FieldError>),
    /// No such document.
    #[error("{kind} {key:?} not found")]
    NotFound { kind: Kind, key: String },
    /// The document exists and the write did not name the version it replaces.
    #[error(
        "{kind} {key:?} exists (version {current}); send If-Match with the version you are replacing"
    )]
    VersionRequired {
        kind: Kind,
        key: String,
        /// The current version.
        current: u64,
    },
    /// The write named a version that is no longer the current one.
    #[error("{kind} {key:?} has changed: If-Match names version {expected}, the current version is {}", current.map_or("none (deleted)".to_owned(), |v| v.to_string()))]
    VersionConflict {
        kind: Kind,
        key: String,
        /// The version the caller named.
        expected: u64,
        /// The current version; `None` once the document is deleted.
        current: Option<u64>,
    },
    /// Other documents do not allow the call now.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The release's state (or its readiness) does not allow the action.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A background task's write was fenced off: another replica holds the lease now.
    #[error("lease {lease:?} changed: this replica no longer holds it, so its decision is dropped")]
    LeaseLost {
        /// The lease's key.
        lease: String,
    },
    /// The store cannot be reached; trying again later may work.
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    /// The store failed, or a stored document could not be read or written.
    #[error(transparent)]
    StoreFailed(StoreError),
}

impl From<ParseError> for ServiceError {
    fn from(error: ParseError) -> ServiceError {
        match error {
            ParseError::Syntax(error) => ServiceError::Malformed(error),
            ParseError::Invalid(errors) => ServiceError::Invalid(errors),
        }
    }
}

impl From<StoreError> for ServiceError {
    /// A store error the service did not read as a cause of its own: unavailable, or a
    /// failure.
    fn from(error: StoreError) -> ServiceError {
        match error {
            StoreError::Unavailable(why) => ServiceError::StoreUnavailable(why),
            other => ServiceError::StoreFailed(other),
        }
    }
}

impl ServiceError {
    /// One field at fault.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![FieldError::new(field, message)])
    }

    /// A stored document that cannot be serialized or read back.
    pub(crate) fn unreadable(error: serde_json::Error) -> ServiceError {
        ServiceError::StoreFailed(StoreError::Backend(Box::new(error)))
    }

    /// The field a conflict or refusal is about, as a path in the document or request.
    pub(crate) fn field(&self) -> Option<String> {
        match self {
            ServiceError::Conflict(conflict) => conflict.field(),
            ServiceError::Refused(refusal) => refusal.field(),
            _ => None,
        }
    }
}

/// What a released flag no longer has, or did while a release action ran.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FlagProblem {
    /// It was written by someone else during the action.
    #[error("changed while this action ran; retry")]
    Changed,
    /// It was deleted.
    #[error("no longer exists")]
    Gone,
    /// It has no configuration in the release's environment.
    #[error("has no configuration in {0} any more")]
    Unconfigured(String),
    /// It lost a variant the release needs.
    #[error("no longer has variant {0:?}")]
    MissingVariant(String),
}

/// A conflict with other documents: the call is sound, but what is stored forbids it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Conflict {
    /// An environment that flags are still configured in.
    #[error("environment `{environment}` is configured on flags {flags:?}; remove it there first")]
    EnvironmentConfigured {
        environment: String,
        /// The flags configured in it.
        flags: Vec<String>,
    },
    /// An environment that SDK keys are still bound to.
    #[error("environment `{environment}` has SDK keys {keys:?}; revoke them first")]
    EnvironmentHasKeys {
        environment: String,
        /// The names of its keys.
        keys: Vec<String>,
    },
    /// A segment that flags' rules still use.
    #[error("segment `{segment}` is used by flags {flags:?}; remove it from their rules first")]
    SegmentInUse {
        segment: String,
        /// The flags using it.
        flags: Vec<String>,
    },
    /// `general`, which is everyone, cannot be changed.
    #[error("the built-in segment `general` is everyone and cannot be changed")]
    GeneralSegment,
    /// A built-in audience ring cannot be deleted.
    #[error("the built-in segment `{0}` is an audience ring and cannot be deleted")]
    AudienceRing(String),
    /// Revoking the last admin token would lock everyone out.
    #[error(
        "this is the last token with the admin role; issue another admin token before revoking it"
    )]
    LastAdminToken,
    /// A write that depends on the whole catalog lost every race with other writers.
    #[error("the store kept changing during this write; try again")]
    StoreKeptChanging,
    /// The release was written by someone else during the action.
    #[error("release {0} changed while this action ran; read it again and retry")]
    ReleaseChanged(String),
    /// A write to a flag that a running or paused release drives in that environment.
    #[error("{0}")]
    OwnedByRelease(Box<Owned>),
    /// A template of that name exists already.
    #[error("a template named {0:?} exists already: pick another name, or replace it with PUT")]
    TemplateExists(String),
    /// A flag of the release is not what the action needs.
    #[error("flag {flag:?} {problem}")]
    ReleasedFlag {
        flag: String,
        /// Its place in the plan's `flags`, when known.
        index: Option<usize>,
        /// What is wrong with it.
        problem: FlagProblem,
    },
}

impl Conflict {
    /// The field the conflict is about.
    pub(crate) fn field(&self) -> Option<String> {
        match self {
            Conflict::EnvironmentConfigured { .. }
            | Conflict::EnvironmentHasKeys { .. }
            | Conflict::SegmentInUse { .. }
            | Conflict::GeneralSegment
            | Conflict::AudienceRing(_) => Some("key".to_owned()),
            Conflict::LastAdminToken => Some("id".to_owned()),
            Conflict::TemplateExists(_) => Some("name".to_owned()),
            Conflict::StoreKeptChanging | Conflict::ReleaseChanged(_) => None,
            Conflict::ReleasedFlag { index, .. } => index.map(|i| format!("flags[{i}].key")),
            Conflict::OwnedByRelease(owned) => Some(owned.field.clone()),
        }
    }
}

/// A flag write refused because a running or paused release owns the flag there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "flag {flag:?} in {environment} belongs to {state} release {release} ({name:?}): {what}; change its rollout through the release — POST /api/v1/releases/{release}/percent, /promote, /pause or /rollback (rollgate release set-percent|promote|pause|rollback {release}). Only the kill switch, \"enabled\": false, may be written directly"
)]
pub(crate) struct Owned {
    pub flag: String,
    pub environment: String,
    /// The release that owns it.
    pub release: String,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: ReleaseState,
    /// What the write would have done.
    pub what: String,
    /// The field the write changed.
    pub field: String,
}

/// Why a release refuses an action in the state it is in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// The state machine has no such step from the current state.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Only a plan that has not started can be replaced.
    #[error("release {id} is {state}; only a plan that has not started can be replaced")]
    NotEditable { id: String, state: ReleaseState },
    /// The checklist, tasks, resources and risk log of an ended release are closed.
    #[error("release {id} is {state}; its checklist, tasks, resources and risk log are closed")]
    ChecklistClosed { id: String, state: ReleaseState },
    /// The action needs a current stage.
    #[error("the release has not started")]
    NotStarted,
    /// Nobody approves twice.
    #[error("{0} has already approved this release")]
    AlreadyApproved(String),
    /// A release starts only with its checklist done.
    #[error(
        "the checklist is not done: {open} item(s) open, first {item:?}{}",
        if owner.is_empty() { String::new() } else { format!(" (owner {owner})") }
    )]
    ChecklistOpen {
        /// The first open item's place.
        index: usize,
        /// How many items are open.
        open: usize,
        /// The first open item.
        item: String,
        /// Who sees to it.
        owner: String,
    },
    /// A release starts only with every task done or dropped.
    #[error(
        "{open} task(s) are neither done nor dropped, first {title:?}{}",
        if owner.is_empty() { String::new() } else { format!(" (owner {owner})") }
    )]
    TasksOpen {
        /// The first open task's place.
        index: usize,
        /// How many tasks are open.
        open: usize,
        /// The first open task.
        title: String,
        /// Who sees to it.
        owner: String,
    },
    /// A release starts only with every resource committed by its owner.
    #[error(
        "resources[{index}] ({description:?}) is {} by its owner {owner}: every resource is committed before the start",
        if *declined { "declined" } else { "not yet committed" }
    )]
    ResourceUncommitted {
        /// The resource's place.
        index: usize,
        /// What it is.
        description: String,
        /// Who commits it.
        owner: String,
        /// Whether the owner declined it.
        declined: bool,
    },
    /// A release starts only with its approvals in.
    #[error("{given} of {required} approval(s) are in")]
    ApprovalsMissing {
        /// Approvals given.
        given: usize,
        /// Approvals the plan requires.
        required: u32,
    },
    /// A release starts only with a sign-off for every function its plan requires.
    #[error("sign-off missing from the {}: a member of the release group holding each must approve", .0.join(", "))]
    SignoffsMissing(Vec<String>),
    /// A function signs off once.
    #[error("the {0} has already signed off this release")]
    AlreadySigned(String),
    /// The plan no longer fits the flags it releases.
    #[error("the plan no longer fits the flags: {}", joined(.0))]
    PlanUnfit(Vec<FieldError>),
    /// Another release drives some of its flags.
    #[error("cannot start: {}", joined(.0))]
    FlagsTaken(Vec<FieldError>),
    /// A flag of the release is switched off (its kill switch): nothing re-enables it
    /// but an explicit write.
    #[error(
        "flag {flag:?} is disabled in {environment} (its kill switch was used); enable it first (PUT /api/v1/flags/{flag}/environments/{environment} with \"enabled\": true), or roll the release back"
    )]
    FlagDisabled { flag: String, environment: String },
    /// A preview is of a start to come.
    #[error(
        "release {id} is {state}: a preview shows what starting it would do, and it can no longer start"
    )]
    NoPreview { id: String, state: ReleaseState },
    /// The start would do things the caller has not acknowledged.
    #[error(
        "the start needs acknowledging: {}; send {{\"acknowledge\": {:?}}} to go ahead",
        .0.iter().map(|w| format!("{} ({})", w.code, w.message)).collect::<Vec<_>>().join("; "),
        codes(.0)
    )]
    Unacknowledged(Vec<Warning>),
    /// The environment's release policy was raised after the plan was written.
    #[error("{}; revise the plan (PUT /api/v1/releases/{{id}}), which asks for the approvals again", joined(.0))]
    PolicyRaised(Vec<FieldError>),
}

impl Refusal {
    /// The field the refusal is about.
    pub(crate) fn field(&self) -> Option<String> {
        match self {
            Refusal::Transition(_)
            | Refusal::NoPreview { .. }
            | Refusal::NotEditable { .. }
            | Refusal::ChecklistClosed { .. }
            | Refusal::NotStarted => Some("state".to_owned()),
            Refusal::Unacknowledged(_) => Some("acknowledge".to_owned()),
            Refusal::FlagDisabled { environment, .. } => {
                Some(format!("environments.{environment}.enabled"))
            }
            Refusal::AlreadyApproved(_) | Refusal::ApprovalsMissing { .. } => {
                Some("approvals".to_owned())
            }
            Refusal::SignoffsMissing(_) => Some("signoffs_required".to_owned()),
            Refusal::AlreadySigned(_) => Some("function".to_owned()),
            Refusal::ChecklistOpen { index, .. } => Some(format!("checklist[{index}].done")),
            Refusal::TasksOpen { index, .. } => Some(format!("tasks[{index}].status")),
            Refusal::ResourceUncommitted { index, .. } => Some(format!("resources[{index}]")),
            Refusal::PlanUnfit(errors)
            | Refusal::FlagsTaken(errors)
            | Refusal::PolicyRaised(errors) => errors.first().map(|e| e.field.clone()),
        }
    }
}

/// The distinct codes of `warnings`, in order.
fn codes(warnings: &[Warning]) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for warning in warnings {
        if !codes.contains(&warning.code.as_str()) {
            codes.push(warning.code.as_str());
        }
    }
    codes
}

/// Field errors as one sentence.
fn joined(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
