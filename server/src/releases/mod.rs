//! Releases: the service behind `/api/v1/releases` — create, read, replace a plan, and
//! every action of its life (submit, approve, start, pause, resume, promote, set the
//! percentage, roll back, cancel, tick the checklist, log an incident).
//!
//! Transport-neutral like [`crate::admin`]: functions take the caller and raw bodies
//! and return [`ServiceError`]s. Every change is ONE store commit that writes the
//! release document (guarded by its version), every flag the action changes (each
//! guarded by its version) and the webhook deliveries of the events it adds — so a
//! rollout is never half applied and no notification is lost. The scheduler and the
//! canary controller act through the same functions as people do.

pub mod actions;
mod bodies;
mod document;
mod propagation;
mod rollout;

use rollgate_core::release::{PlanCatalog, ReleasePlan, ReleaseState, validate_plan};
use rollgate_core::validate::parse;
use rollgate_core::{FieldError, model::Flag};

pub use actions::{
    Action, Automation, act, check_item, log_incident, record_analysis, run, run_with, set_percent,
};
pub use bodies::{ActionRequest, ChecklistRequest, IncidentRequest, PercentRequest};
pub use document::{Actor, Approval, EventKind, Release, TimelineEvent};
pub use rollout::{CurrentFlags, Target, flag_writes};

use crate::admin::{IfMatch, ServiceError, WithVersion, check_path_key, to_body};
use crate::auth::{Principal, Role, random_text, require_role};
use crate::hub::Catalog;
use crate::state::App;
use crate::store::{Check, Commit, Expect, Kind, StoreError, Write};

/// A release read from the store, with its version.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The document.
    pub release: Release,
    /// Its store version.
    pub version: u64,
}

/// Every release, optionally only those in `state` and/or `environment`.
pub async fn list(
    app: &App,
    principal: &Principal,
    state: Option<&str>,
    environment: Option<&str>,
) -> Result<Vec<WithVersion<Release>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let state = match state {
        None => None,
        Some(name) => Some(ReleaseState::parse(name).ok_or_else(|| {
            let known: Vec<&str> = ReleaseState::ALL.iter().map(|s| s.as_str()).collect();
            ServiceError::Invalid(vec![FieldError::new(
                "state",
                format!("unknown state {name:?}; one of {known:?}"),
            )])
        })?),
    };
    Ok(read_all(app)
        .await?
        .into_iter()
        .filter(|s| state.is_none_or(|wanted| s.release.state == wanted))
        .filter(|s| environment.is_none_or(|e| s.release.plan.environment == e))
        .map(|s| WithVersion {
            doc: s.release,
            version: s.version,
        })
        .collect())
}

/// One release.
pub async fn get(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let stored = load(app, id).await?;
    Ok(WithVersion {
        doc: stored.release,
        version: stored.version,
    })
}

/// Creates a release in `draft` from a plan.
pub async fn create(
    app: &App,
    principal: &Principal,
    body: &[u8],
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let plan: ReleasePlan = parse(body)?;
    let now = app.clock.now();
    let id = format!("rel-{}", random_text(12).to_ascii_lowercase());
    check_plan(app, &plan, &id, Some(now)).await?;
    let author = Actor::of(principal);
    let release = Release {
        salt: id.clone(),
        id,
        plan,
        state: ReleaseState::Draft,
        author: author.clone(),
        approvals: Vec::new(),
        current_stage: None,
        current_percent: Default::default(),
        stage_started_at: None,
        announced_at: None,
        baseline: Default::default(),
        created_at: now,
        timeline: vec![TimelineEvent {
            to: Some(ReleaseState::Draft),
            ..TimelineEvent::new(now, EventKind::Created, &author)
        }],
        analysis_progress: None,
    };
    save(
        app,
        &author,
        "release.create",
        None,
        release,
        Vec::new(),
        None,
    )
    .await
}

/// Read-only fields a client may send back unchanged in a `PUT` (they are ignored).
const READ_ONLY: [&str; 14] = [
    "id",
    "state",
    "author",
    "approvals",
    "current_stage",
    "current_percent",
    "salt",
    "stage_started_at",
    "announced_at",
    "baseline",
    "created_at",
    "timeline",
    "analysis_progress",
    "version",
];

/// Replaces the plan of a release that has not started (If-Match required). Changing
/// what ships or how sends an approved plan back to `pending_approval` and drops its
/// approvals; other changes keep both.
pub async fn replace(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let stored = load(app, id).await?;
    let Some(if_match) = if_match else {
        return Err(ServiceError::PreconditionRequired {
            kind: Kind::Release,
            key: id.to_owned(),
            current: stored.version,
        });
    };
    check_if_match(&stored, Some(if_match))?;
    let mut fields: serde_json::Map<String, serde_json::Value> = parse(body)?;
    if let Some(sent) = fields.get("id").and_then(|v| v.as_str())
        && sent != id
    {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "id",
            format!("the body names {sent:?} but the URL names {id:?}"),
        )]));
    }
    for name in READ_ONLY {
        fields.remove(name);
    }
    let plan: ReleasePlan = parse(serde_json::Value::Object(fields).to_string().as_bytes())?;
    let current = &stored.release;
    if !current.state.is_editable() {
        return Err(ServiceError::Conflict {
            detail: format!(
                "release {id} is {}; only a plan that has not started can be replaced",
                current.state
            ),
            field: Some("state".to_owned()),
        });
    }
    let now = app.clock.now();
    let schedule_changed = plan.schedule.announce_at != current.plan.schedule.announce_at
        || plan.schedule.start_at != current.plan.schedule.start_at;
    check_plan(app, &plan, id, schedule_changed.then_some(now)).await?;
    let actor = Actor::of(principal);
    let material = plan.differs_materially(&current.plan);
    let mut next = current.clone();
    next.plan = plan;
    next.timeline.push(TimelineEvent {
        details: Some(serde_json::json!({ "material": material })),
        ..TimelineEvent::new(now, EventKind::Revised, &actor)
    });
    if material && current.state != ReleaseState::Draft {
        let to =
            rollgate_core::release::transition(current.state, rollgate_core::release::Step::Revise)
                .map_err(|e| conflict(e.to_string(), "state"))?;
        next.state = to;
        next.timeline.push(TimelineEvent {
            from: Some(current.state),
            to: Some(to),
            comment: Some(
                "what ships or how changed: the plan needs its approvals again".to_owned(),
            ),
            details: Some(serde_json::json!({ "dropped": current.approvals.len() })),
            ..TimelineEvent::new(now, EventKind::ApprovalsReset, &actor)
        });
        next.approvals.clear();
    }
    save(
        app,
        &actor,
        "release.revise",
        Some(&stored),
        next,
        Vec::new(),
        Some(if_match),
    )
    .await
}

/// Validates a plan against the served catalog and the other releases.
async fn check_plan(
    app: &App,
    plan: &ReleasePlan,
    id: &str,
    now: Option<time::OffsetDateTime>,
) -> Result<(), ServiceError> {
    let catalog = app.hub.catalog();
    let mut errors = validate_plan(plan, &Documents(&catalog), now);
    errors.extend(flags_in_other_releases(app, plan, id).await?);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// `flags[i].key` errors for flags that another running or paused release drives.
pub async fn flags_in_other_releases(
    app: &App,
    plan: &ReleasePlan,
    id: &str,
) -> Result<Vec<FieldError>, ServiceError> {
    let others = read_all(app).await?;
    let mut errors = Vec::new();
    for (index, released) in plan.flags.iter().enumerate() {
        let owner = others.iter().find(|other| {
            other.release.id != id
                && other.release.state.is_active()
                && other.release.plan.environment == plan.environment
                && other
                    .release
                    .plan
                    .flags
                    .iter()
                    .any(|f| f.key == released.key)
        });
        if let Some(owner) = owner {
            errors.push(FieldError::new(
                format!("flags[{index}].key"),
                format!(
                    "flag {:?} is already in {} release {} ({:?}) in {}",
                    released.key,
                    owner.release.state,
                    owner.release.id,
                    owner.release.plan.name,
                    plan.environment
                ),
            ));
        }
    }
    Ok(errors)
}

/// The served catalog as the documents a plan refers to.
struct Documents<'a>(&'a Catalog);

impl PlanCatalog for Documents<'_> {
    fn has_environment(&self, key: &str) -> bool {
        self.0.environments.contains_key(key)
    }
    fn has_segment(&self, key: &str) -> bool {
        self.0.segments.contains_key(key)
    }
    fn flag(&self, key: &str) -> Option<&Flag> {
        self.0.flags.get(key).map(|f| f.doc.as_ref())
    }
}

/// Reads one release.
pub async fn load(app: &App, id: &str) -> Result<Stored, ServiceError> {
    check_path_key("id", id)?;
    let document = app
        .store
        .get(Kind::Release, id)
        .await
        .map_err(ServiceError::Store)?
        .ok_or_else(|| ServiceError::NotFound {
            kind: Kind::Release,
            key: id.to_owned(),
        })?;
    Ok(Stored {
        release: serde_json::from_slice(&document.body)
            .map_err(|e| ServiceError::Store(StoreError::Backend(Box::new(e))))?,
        version: document.version,
    })
}

/// Reads every release (documents that do not parse are logged and skipped).
pub async fn read_all(app: &App) -> Result<Vec<Stored>, ServiceError> {
    let documents = app
        .store
        .list(Kind::Release)
        .await
        .map_err(ServiceError::Store)?;
    Ok(documents
        .into_iter()
        .filter_map(|d| match serde_json::from_slice::<Release>(&d.body) {
            Ok(release) => Some(Stored {
                release,
                version: d.version,
            }),
            Err(error) => {
                tracing::error!(key = d.key, %error, "stored release does not parse; skipped");
                None
            }
        })
        .collect())
}

/// Refuses a stale If-Match before anything is done.
fn check_if_match(stored: &Stored, if_match: Option<IfMatch>) -> Result<(), ServiceError> {
    match if_match {
        Some(IfMatch::Version(v)) if v != stored.version => Err(ServiceError::PreconditionFailed {
            kind: Kind::Release,
            key: stored.release.id.clone(),
            expected: v,
            current: Some(stored.version),
        }),
        _ => Ok(()),
    }
}

fn conflict(detail: String, field: &str) -> ServiceError {
    ServiceError::Conflict {
        detail,
        field: Some(field.to_owned()),
    }
}

/// How long a release action waits for its flag changes to be served before answering
/// (the change is durable either way).
const SERVE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes `next` (created when `stored` is `None`) with `flags`, plus the webhook
/// deliveries of the events `next` adds to the timeline, in one commit; then waits
/// until the change is served and wakes the background tasks.
pub(crate) async fn save(
    app: &App,
    actor: &Actor,
    action: &str,
    stored: Option<&Stored>,
    next: Release,
    flags: Vec<Write>,
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let write = Guarded {
        checks: Vec::new(),
        audited: true,
    };
    save_guarded(app, actor, action, stored, next, flags, if_match, write)
        .await
        .map(|saved| saved.release)
}

/// How a release write is guarded and logged.
#[derive(Clone, Debug)]
pub struct Guarded {
    /// Conditions on other documents (the controller's lease).
    pub checks: Vec<Check>,
    /// Whether the write appears in the audit log (analyses that only hold do not).
    pub audited: bool,
}

/// A release as written, with the revision of the commit.
#[derive(Debug)]
pub struct Saved {
    /// The release and its new version.
    pub release: WithVersion<Release>,
    /// The store revision of the commit.
    pub revision: u64,
    /// When it was committed.
    pub at: time::OffsetDateTime,
}

/// [`save`] with checks on other documents, optionally left out of the audit log.
#[allow(clippy::too_many_arguments, reason = "one write, every part of it")]
pub(crate) async fn save_guarded(
    app: &App,
    actor: &Actor,
    action: &str,
    stored: Option<&Stored>,
    next: Release,
    flags: Vec<Write>,
    if_match: Option<IfMatch>,
    guarded: Guarded,
) -> Result<Saved, ServiceError> {
    let expect = stored.map_or(Expect::Absent, |s| Expect::Version(s.version));
    let known = stored.map_or(0, |s| s.release.timeline.len());
    let new_events = next.timeline.get(known..).unwrap_or_default();
    let mut writes = vec![Write::put(
        Kind::Release,
        next.id.clone(),
        expect,
        to_body(&next)?,
    )];
    writes.extend(flags);
    writes.extend(crate::webhooks::deliveries(app, &next, new_events).await?);
    let at = app.clock.now();
    let change = app
        .store
        .commit(Commit {
            actor: actor.audit_name(),
            action: action.to_owned(),
            at,
            writes,
            checks: guarded.checks,
            audited: guarded.audited,
            expect_revision: None,
        })
        .await
        .map_err(|error| commit_error(error, &next, if_match))?;
    if tokio::time::timeout(SERVE_WAIT, app.hub.wait_for(change.revision))
        .await
        .is_err()
    {
        tracing::warn!(
            revision = change.revision,
            release = next.id,
            "release change committed but not yet served after 5 s"
        );
    }
    app.wake.changed();
    let version = change
        .entries
        .iter()
        .find(|e| e.kind == Kind::Release)
        .map_or(1, |e| e.version);
    Ok(Saved {
        release: WithVersion { doc: next, version },
        revision: change.revision,
        at,
    })
}

fn commit_error(error: StoreError, release: &Release, if_match: Option<IfMatch>) -> ServiceError {
    match error {
        StoreError::Conflict {
            kind: Kind::Release,
            expected: Expect::Version(expected),
            found,
            ..
        } if if_match.is_some() => ServiceError::PreconditionFailed {
            kind: Kind::Release,
            key: release.id.clone(),
            expected,
            current: found,
        },
        StoreError::Conflict {
            kind: Kind::Release,
            ..
        } => ServiceError::Conflict {
            detail: format!(
                "release {} changed while this action ran; read it again and retry",
                release.id
            ),
            field: None,
        },
        StoreError::Conflict {
            kind: Kind::Lease,
            key,
            ..
        } => ServiceError::Conflict {
            detail: format!(
                "lease {key:?} changed: this replica no longer holds it, so its decision is dropped"
            ),
            field: None,
        },
        StoreError::Conflict {
            kind: Kind::Flag,
            key,
            ..
        } => {
            let index = release.plan.flags.iter().position(|f| f.key == key);
            ServiceError::Conflict {
                detail: format!("flag {key:?} changed while this action ran; retry"),
                field: index.map(|i| format!("flags[{i}].key")),
            }
        }
        other => ServiceError::Store(other),
    }
}
