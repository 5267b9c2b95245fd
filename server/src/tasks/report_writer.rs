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

use std::sync::Arc;
use std::time::Duration;

use rollgate_core::release::ReleaseState;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::infra::store::{Change, Kind};
use crate::service::App;
use crate::service::ServiceError;
use crate::service::releases::{load, read_all};

/// How long to wait before retrying a full pass that failed.
const RETRY: Duration = Duration::from_secs(10);

/// Runs until `shutdown` flips.
pub(crate) async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut feed = app.store.subscribe();
    let mut behind = true;
    loop {
        if behind {
            match pass(&app).await {
                Ok(_) => behind = false,
                Err(error) => tracing::warn!(%error, "report writer pass failed; retrying"),
            }
        }
        tokio::select! {
            change = feed.recv() => match change {
                Ok(change) => {
                    for id in ended(&change) {
                        if let Err(error) = write(&app, &id).await {
                            tracing::warn!(release = id, %error, "final report not written");
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => behind = true,
                Err(RecvError::Closed) => return,
            },
            _ = tokio::time::sleep(RETRY), if behind => {}
            _ = shutdown.changed() => return,
        }
    }
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

/// Writes the missing final reports of every ended release; returns how many it wrote.
pub(crate) async fn pass(app: &Arc<App>) -> Result<usize, ServiceError> {
    let mut written = 0;
    for stored in read_all(app).await? {
        if !stored.release.state.is_terminal() {
            continue;
        }
        match write(app, &stored.release.id).await {
            Ok(wrote) => written += usize::from(wrote),
            Err(error) => {
                tracing::warn!(release = stored.release.id, %error, "final report not written");
            }
        }
    }
    Ok(written)
}
