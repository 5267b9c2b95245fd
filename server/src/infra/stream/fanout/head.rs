//! What subscribers are sent: the [`Head`] (the full ruleset at one revision) a
//! subscriber starts from, and each later event as a [`Frame`] — its SSE bytes built
//! once in both wire formats ([`Flavor`]).

use bytes::Bytes;

use super::super::frame;

/// Which wire format a subscriber reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// The SDK stream: a `ruleset` event, then `change` events.
    Sdk,
    /// OFREP's notification stream (`refetchEvaluation` messages) for web clients.
    Notify,
}

/// One event in both wire formats.
#[derive(Debug)]
pub(crate) struct Frame {
    /// The revision it brings a client to (0 for a heartbeat).
    pub revision: u64,
    pub(super) sdk: Bytes,
    pub(super) notify: Bytes,
}

impl Frame {
    /// A change event.
    pub(crate) fn change(revision: u64, sdk: Bytes, notify: Bytes) -> Frame {
        Frame {
            revision,
            sdk,
            notify,
        }
    }

    /// The heartbeat comment (same bytes for every flavor).
    pub(crate) fn heartbeat() -> Frame {
        let bytes = Bytes::from_static(frame::HEARTBEAT);
        Frame {
            revision: 0,
            sdk: bytes.clone(),
            notify: bytes,
        }
    }

    /// The bytes for `flavor`.
    pub(crate) fn bytes(&self, flavor: Flavor) -> &Bytes {
        match flavor {
            Flavor::Sdk => &self.sdk,
            Flavor::Notify => &self.notify,
        }
    }
}

/// What a subscriber starts from: the environment's full ruleset at one revision.
#[derive(Debug)]
pub(crate) struct Head {
    /// The revision of the last change this environment's SDKs saw.
    pub revision: u64,
    /// The ruleset JSON (`GET /sdk/v1/ruleset`).
    pub ruleset: Bytes,
    /// The same as a `ruleset` SSE event.
    pub ruleset_event: Bytes,
    /// The ETag of the ruleset.
    pub etag: String,
}

impl Head {
    /// A head at `revision` with `ruleset`.
    pub(crate) fn new(revision: u64, ruleset: Bytes) -> Head {
        let ruleset_event = frame::event("ruleset", revision, &ruleset);
        Head {
            revision,
            // The event's data is the ruleset: share those bytes rather than keep two copies.
            ruleset: frame::data(&ruleset_event, ruleset.len()),
            ruleset_event,
            etag: format!("\"{revision}\""),
        }
    }
}
