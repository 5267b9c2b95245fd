//! The report writer: a background task that writes the final report of every release
//! that ends, right after the commit that ended it. It follows the store's change feed
//! and looks only at the releases a change wrote (the controller rewrites running
//! releases every interval; reading every release on each change would not scale).
//! It keeps no state: at start — and whenever it fell behind the feed — it makes one
//! pass over all releases, so a report missed by a crash between the final commit and
//! the report's write is written on the next start.
//!
//! A rolled-back release is written once it has [`settled`](crate::service::reports::settled): the change
//! that rolls it back is followed by the one adding its propagation record, and the
//! report is written on that one. Should that record never come, a timer writes the
//! report [`PROPAGATION_GRACE`](crate::service::reports::PROPAGATION_GRACE) later without it.
//!
//! Writing off the action's path keeps a slow or unreachable Prometheus (the KPIs) from
//! delaying a rollback's answer. The write is guarded by `Expect::Absent`, so this task
//! and a request asking for the report at the same moment cannot both write one.
//!
//! One replica writes at a time: the holder of the `report_writer` lease, taken only
//! while some release has ended. Every replica notes the releases it sees end; one that
//! does not hold the lease keeps them and tries again when the lease can next be taken,
//! so a holder that dies before writing is replaced within the lease's time.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use rollgate_core::release::ReleaseState;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::lease::Lease;
use crate::infra::store::{Change, Kind};
use crate::service::App;
use crate::service::ServiceError;
use crate::service::releases::{load, read_all};

/// How long to wait before retrying a full pass that failed.
const RETRY: Duration = Duration::from_secs(10);

/// The writer's name as a lease.
pub(crate) const TASK: &str = "report_writer";

/// Runs until `shutdown` flips.
pub(crate) async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut feed = app.store.subscribe();
    let mut lease = Lease::of_task(&app, TASK);
    // A full pass is due at start and after falling behind the feed; `ended` holds the
    // releases seen ending that are still to be written.
    let mut behind = true;
    let mut ended_releases: BTreeSet<String> = BTreeSet::new();
    let mut last_revision: Option<u64> = None;
    loop {
        let mut retry = None;
        if behind {
            // What is due is found without the lease: an idle server writes nothing.
            match due(&app).await {
                Ok(due) => {
                    ended_releases.extend(due);
                    behind = false;
                }
                Err(error) => {
                    tracing::warn!(%error, "report writer pass failed; retrying");
                    app.metrics.task_errors.with_label_values(&[TASK]).inc();
                    retry = Some(RETRY);
                }
            }
        }
        if !ended_releases.is_empty() {
            let now = app.clock.now();
            if let Err(error) = lease.refresh(now).await {
                tracing::warn!(%error, "report writer lease could not be renewed");
            }
            if lease.held(now).is_some() {
                match work(&app, &mut ended_releases).await {
                    Ok(()) => {}
                    Err(error) => {
                        tracing::warn!(%error, "report writer pass failed; retrying");
                        app.metrics.task_errors.with_label_values(&[TASK]).inc();
                        retry = Some(RETRY);
                    }
                }
            } else {
                // Another replica holds the lease: try again when it can next be taken.
                retry = Some(app.sleep_until(lease.next_refresh(), RETRY));
            }
        }
        tokio::select! {
            change = feed.recv() => match change {
                Ok(change) => {
                    if last_revision.is_some_and(|last| change.revision > last + 1) {
                        behind = true;
                    }
                    last_revision = Some(change.revision);
                    ended_releases.extend(ended(&change));
                }
                Err(RecvError::Lagged(_)) => behind = true,
                Err(RecvError::Closed) => return,
            },
            _ = tokio::time::sleep(retry.unwrap_or(RETRY)), if retry.is_some() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Writes, while holding the lease, the reports of the releases seen ending.
async fn work(app: &Arc<App>, ended_releases: &mut BTreeSet<String>) -> Result<(), ServiceError> {
    while let Some(id) = ended_releases.pop_first() {
        if let Err(error) = write(app, &id).await {
            tracing::warn!(release = id, %error, "final report not written");
            if matches!(error, ServiceError::StoreUnavailable(_)) {
                ended_releases.insert(id);
                return Err(error);
            }
        }
    }
    Ok(())
}

/// What the writer reads of a release in a change: not its timeline.
#[derive(Deserialize)]
struct Head {
    id: String,
    state: ReleaseState,
}

/// The releases a change left in a terminal state.
pub(crate) fn ended(change: &Change) -> Vec<String> {
    change
        .entries
        .iter()
        .filter(|entry| entry.kind == Kind::Release)
        .filter_map(|entry| serde_json::from_slice::<Head>(entry.body.as_deref()?).ok())
        .filter(|head| head.state.is_terminal())
        .map(|head| head.id)
        .collect()
}

/// Writes the final report of release `id` if it has ended, settled, and has none. An
/// ended release that has not settled gets a timer that writes it once the grace is
/// over, settled or not.
async fn write(app: &Arc<App>, id: &str) -> Result<bool, ServiceError> {
    let present = app
        .store
        .get(Kind::Report, id)
        .await
        .map_err(ServiceError::from)?
        .is_some();
    if present {
        return Ok(false);
    }
    let release = load(app, id).await?.release;
    if !release.state.is_terminal() {
        return Ok(false);
    }
    if !crate::service::reports::settled(&release, app.clock.now()) {
        let (app, id) = (Arc::clone(app), id.to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(crate::service::reports::PROPAGATION_GRACE).await;
            let written = match load(&app, &id).await {
                Ok(stored) => crate::service::reports::final_report(&app, &stored.release)
                    .await
                    .map(|_| ()),
                Err(error) => Err(error),
            };
            if let Err(error) = written {
                tracing::warn!(release = id, %error, "final report not written");
            }
        });
        return Ok(false);
    }
    crate::service::reports::final_report(app, &release).await?;
    Ok(true)
}

/// The ended releases that have no final report yet (a full pass, read only).
async fn due(app: &Arc<App>) -> Result<Vec<String>, ServiceError> {
    let mut due = Vec::new();
    for stored in read_all(app).await? {
        if !stored.release.state.is_terminal() {
            continue;
        }
        let present = app
            .store
            .get(Kind::Report, &stored.release.id)
            .await
            .map_err(ServiceError::from)?
            .is_some();
        if !present {
            due.push(stored.release.id);
        }
    }
    Ok(due)
}

/// Writes the missing final reports of every ended release; returns how many it wrote
/// (what the task does at start, in one call, for the tests of stored reports).
#[cfg(test)]
pub(crate) async fn pass(app: &Arc<App>) -> Result<usize, ServiceError> {
    let mut written = 0;
    for id in due(app).await? {
        match write(app, &id).await {
            Ok(wrote) => written += usize::from(wrote),
            Err(error) => tracing::warn!(release = id, %error, "final report not written"),
        }
    }
    Ok(written)
}
