//! The one way a service writes: an atomic store commit, its version conflicts read as
//! the service's causes, then a wait until the change is served — so a caller that got
//! its answer sees its change on the next evaluation.

use std::sync::Arc;
use std::time::Duration;

use super::{App, Conflict, Principal, ServiceError};
use crate::infra::hub::Catalog;
use crate::infra::store::{Change, Commit, Expect, StoreError, Write};

/// The audited commit of `writes` by `principal`, now, named `action` in the product's
/// words (`flag.delete`, …). A write that also checks other documents, or stays out of
/// the audit log, says so with struct update syntax.
pub(crate) fn change_by(
    app: &App,
    principal: &Principal,
    action: impl Into<String>,
    writes: Vec<Write>,
) -> Commit {
    Commit {
        actor: principal.actor(),
        action: action.into(),
        at: app.clock.now(),
        writes,
        checks: Vec::new(),
        audited: true,
        expect_revision: None,
    }
}

/// How long a writer waits for its change to be served before answering anyway (the
/// change is durable either way).
const SERVE_WAIT: Duration = Duration::from_secs(5);

/// Commits, reads a conflict on the written document as its cause (see
/// [`write_conflict`]), and waits until the change is served.
pub(crate) async fn commit(app: &App, commit: Commit) -> Result<Arc<Change>, ServiceError> {
    let change = app.store.commit(commit).await.map_err(write_conflict)?;
    if tokio::time::timeout(SERVE_WAIT, app.hub.wait_for(change.revision))
        .await
        .is_err()
    {
        tracing::warn!(
            revision = change.revision,
            "change committed but not yet served after 5 s"
        );
    }
    Ok(change)
}

/// Reads a store conflict on a written document as the service's cause: a write that
/// named no version found one (version required), a named version is no longer the
/// current one (version conflict), a document that had to exist is gone (not found).
pub(crate) fn write_conflict(error: StoreError) -> ServiceError {
    match error {
        StoreError::Conflict {
            kind,
            key,
            expected: Expect::Absent,
            found: Some(current),
        } => ServiceError::VersionRequired { kind, key, current },
        StoreError::Conflict {
            kind,
            key,
            expected: Expect::Version(expected),
            found,
        } => ServiceError::VersionConflict {
            kind,
            key,
            expected,
            current: found,
        },
        StoreError::Conflict {
            kind,
            key,
            expected: Expect::Present,
            found: None,
        } => ServiceError::NotFound { kind, key },
        other => ServiceError::from(other),
    }
}

/// How often a write that depends on the whole catalog retries when the store moved.
const STALE_RETRIES: usize = 5;

/// Commits a write whose validity depends on the whole catalog (e.g. "no flag uses this
/// segment"): `build` decides from the served catalog, and the commit only applies if
/// the store is still at that catalog's revision; otherwise it waits and decides again.
pub(crate) async fn commit_at_revision<F>(
    app: &App,
    mut build: F,
) -> Result<Arc<Change>, ServiceError>
where
    F: FnMut(&Catalog) -> Result<Commit, ServiceError>,
{
    for _ in 0..STALE_RETRIES {
        let catalog = app.hub.catalog();
        let mut commit = build(&catalog)?;
        commit.expect_revision = Some(catalog.revision);
        match app.store.commit(commit).await {
            Ok(change) => {
                app.hub.wait_for(change.revision).await;
                return Ok(change);
            }
            Err(StoreError::Stale { found, .. }) => app.hub.wait_for(found).await,
            Err(other) => return Err(write_conflict(other)),
        }
    }
    Err(Conflict::StoreKeptChanging.into())
}
