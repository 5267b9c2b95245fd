//! The state the application's calls and the background sync share: the loaded
//! snapshot (swapped atomically), the status, the events, and the exposure counts.

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use tokio::sync::{broadcast, watch};

use crate::exposure::Exposures;
use crate::ruleset::{Documents, Loaded};
use crate::status::{ClientEvent, Status};

/// Shared between the [`crate::Client`] handles and the sync tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) loaded: ArcSwap<Loaded>,
    /// Whether anything was loaded (evaluation before that is `NotReady`).
    pub(crate) ready: std::sync::atomic::AtomicBool,
    pub(crate) status: watch::Sender<Status>,
    pub(crate) revision: watch::Sender<u64>,
    pub(crate) events: broadcast::Sender<ClientEvent>,
    pub(crate) exposures: Exposures,
    pub(crate) last_error: Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        Shared {
            loaded: ArcSwap::from_pointee(Loaded::empty()),
            ready: std::sync::atomic::AtomicBool::new(false),
            status: watch::channel(Status::Starting).0,
            revision: watch::channel(0).0,
            events: broadcast::channel(256).0,
            exposures: Exposures::default(),
            last_error: Mutex::new(None),
        }
    }

    fn emit(&self, event: ClientEvent) {
        let _ = self.events.send(event);
    }

    /// Compiles and serves `documents`; `changed` names the flags concerned.
    pub(crate) fn install(&self, documents: &Documents, changed: Vec<String>) {
        let loaded = Arc::new(Loaded::compile(documents));
        let previous = self.loaded.swap(loaded);
        let first = !self.ready.swap(true, std::sync::atomic::Ordering::AcqRel);
        self.exposures.retire(previous);
        self.revision.send_replace(documents.revision);
        self.mark_ready();
        if !first && !changed.is_empty() {
            self.emit(ClientEvent::Changed {
                revision: documents.revision,
                flags: changed,
            });
        }
    }

    /// The connection works again (or for the first time) and a ruleset is loaded.
    pub(crate) fn mark_ready(&self) {
        if !self.ready.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let changed = self.status.send_if_modified(|status| {
            let change = matches!(status, Status::Starting | Status::Stale);
            if change {
                *status = Status::Ready;
            }
            change
        });
        if changed {
            self.emit(ClientEvent::Ready {
                revision: *self.revision.borrow(),
            });
        }
    }

    /// A sync attempt failed; the last ruleset keeps serving.
    pub(crate) fn mark_failing(&self, error: String) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.clone());
        let stale = self.status.send_if_modified(|status| {
            let change = *status == Status::Ready;
            if change {
                *status = Status::Stale;
            }
            change
        });
        self.emit(if stale {
            ClientEvent::Stale { error }
        } else {
            ClientEvent::Error { error }
        });
    }

    /// The server refused the key: stop for good.
    pub(crate) fn mark_failed(&self, error: String) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.clone());
        self.status.send_replace(Status::Failed(error.clone()));
        self.emit(ClientEvent::Error { error });
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
