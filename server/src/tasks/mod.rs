//! The background tasks: work that happens without a request. Each runs until the
//! server stops, runs on one replica at a time (the holder of its [`lease`], which
//! fences every write it makes), keeps nothing that matters in memory (a restart, or
//! another replica, picks up from the store), sleeps until it is next due or nudged by
//! [`crate::infra::wake`], and acts through the same services as people do — so its
//! writes are validated, versioned and audited like theirs, and it reacts to their
//! errors by cause, never by message.

pub(crate) mod controller;
pub(crate) mod lease;
pub(crate) mod report_writer;
pub(crate) mod scheduler;
pub(crate) mod webhook_sender;

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::infra::store::Kind;
use crate::service::App;

/// Nudges the tasks whenever a change on the feed touches a release or a delivery —
/// including changes other replicas made, which no handler here nudged for. Runs until
/// `shutdown` flips.
pub(crate) async fn nudge_on_changes(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut feed = app.store.subscribe();
    loop {
        let relevant = tokio::select! {
            change = feed.recv() => match change {
                Ok(change) => change
                    .entries
                    .iter()
                    .any(|e| matches!(e.kind, Kind::Release | Kind::Delivery)),
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => return,
            },
            _ = shutdown.changed() => return,
        };
        if relevant {
            app.wake.changed();
        }
    }
}
