//! The report writer: a background task that writes the final report of every ended
//! release that has none yet, right after the commit that ended it (the release
//! service wakes it). Like the scheduler it keeps no state: each pass reads the
//! releases, so a report missed by a crash between the final commit and the report's
//! write is written on the next start.
//!
//! Writing off the action's path keeps a slow or unreachable Prometheus (the KPIs) from
//! delaying a rollback's answer. The write is guarded by `Expect::Absent`, so this task
//! and a request asking for the report at the same moment cannot both write one.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::admin::ServiceError;
use crate::releases::read_all;
use crate::state::App;
use crate::store::Kind;

/// Longest sleep between passes (a nudge ends it earlier).
const IDLE: Duration = Duration::from_secs(60);

/// Runs until `shutdown` flips.
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(error) = pass(&app).await {
            tracing::warn!(%error, "report writer pass failed; retrying");
        }
        tokio::select! {
            _ = app.wake.reports.notified() => {}
            _ = tokio::time::sleep(IDLE) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Writes the missing final reports; returns how many it wrote.
pub async fn pass(app: &App) -> Result<usize, ServiceError> {
    let mut written = 0;
    for stored in read_all(app).await? {
        let release = &stored.release;
        if !release.state.is_terminal() {
            continue;
        }
        let present = app
            .store
            .get(Kind::Report, &release.id)
            .await
            .map_err(ServiceError::Store)?
            .is_some();
        if present {
            continue;
        }
        match super::final_report(app, release).await {
            Ok(_) => written += 1,
            Err(error) => {
                tracing::warn!(release = release.id, %error, "final report not written");
            }
        }
    }
    Ok(written)
}
