//! A release as stored: reading one or all, refusing a stale If-Match, and the one
//! commit that writes the release with its flags and webhook deliveries (then waits
//! until the change is served).

use super::{Actor, Release};
use crate::infra::store::{Check, Commit, Expect, Kind, StoreError, Write};
use crate::service::App;
use crate::service::{
    Conflict, FlagProblem, IfMatch, ServiceError, WithVersion, check_path_key, to_body,
};

/// A release read from the store, with its version.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub release: Release,
    /// Its store version, which the next write of it must name.
    pub version: u64,
}

impl From<Stored> for WithVersion<Release> {
    fn from(stored: Stored) -> WithVersion<Release> {
        WithVersion {
            doc: stored.release,
            version: stored.version,
        }
    }
}

/// Reads one release.
pub(crate) async fn load(app: &App, id: &str) -> Result<Stored, ServiceError> {
    check_path_key("id", id)?;
    let document = app
        .store
        .get(Kind::Release, id)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(|| ServiceError::NotFound {
            kind: Kind::Release,
            key: id.to_owned(),
        })?;
    Ok(Stored {
        release: serde_json::from_slice(&document.body).map_err(ServiceError::unreadable)?,
        version: document.version,
    })
}

/// Reads every release (documents that do not parse are logged and skipped).
pub(crate) async fn read_all(app: &App) -> Result<Vec<Stored>, ServiceError> {
    let documents = app
        .store
        .list(Kind::Release)
        .await
        .map_err(ServiceError::from)?;
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
pub(super) fn check_if_match(
    stored: &Stored,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    match if_match {
        Some(IfMatch::Version(v)) if v != stored.version => Err(ServiceError::VersionConflict {
            kind: Kind::Release,
            key: stored.release.id.clone(),
            expected: v,
            current: Some(stored.version),
        }),
        _ => Ok(()),
    }
}

/// How long a release action waits for its flag changes to be served before answering
/// (the change is durable either way).
pub(super) const SERVE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
pub(crate) struct Guarded {
    /// Conditions on other documents (the controller's lease).
    pub checks: Vec<Check>,
    /// Whether the write appears in the audit log (analyses that only hold do not).
    pub audited: bool,
}

/// A release as written, with the revision of the commit.
#[derive(Debug)]
pub(crate) struct Saved {
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
    writes.extend(crate::service::webhooks::deliveries(app, &next, new_events).await?);
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

/// Reads a refused release commit as its cause: the release moved (a version conflict
/// when the caller named the version, else a conflict), the controller's lease moved
/// (lease lost), or a released flag moved.
fn commit_error(error: StoreError, release: &Release, if_match: Option<IfMatch>) -> ServiceError {
    match error {
        StoreError::Conflict {
            kind: Kind::Release,
            expected: Expect::Version(expected),
            found,
            ..
        } if if_match.is_some() => ServiceError::VersionConflict {
            kind: Kind::Release,
            key: release.id.clone(),
            expected,
            current: found,
        },
        StoreError::Conflict {
            kind: Kind::Release,
            ..
        } => Conflict::ReleaseChanged(release.id.clone()).into(),
        StoreError::Conflict {
            kind: Kind::Lease,
            key,
            ..
        } => ServiceError::LeaseLost { lease: key },
        StoreError::Conflict {
            kind: Kind::Flag,
            key,
            ..
        } => Conflict::ReleasedFlag {
            index: release.plan.flags.iter().position(|f| f.key == key),
            flag: key,
            problem: FlagProblem::Changed,
        }
        .into(),
        other => ServiceError::from(other),
    }
}
