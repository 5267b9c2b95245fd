//! What the client tells the application about its ruleset: a [`Status`] to read at any
//! time, and [`ClientEvent`]s to subscribe to.

/// Where the client stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// No ruleset yet: getters return the caller's default with a `NotReady` error.
    Starting,
    /// Serving the server's current ruleset (or the bootstrap file, offline).
    Ready,
    /// Serving the last ruleset received while the server cannot be reached; the client
    /// keeps reconnecting and catches up by revision.
    Stale,
    /// The server refused the SDK key (revoked, or not an SDK key); the client stopped
    /// syncing and serves what it had.
    Failed(String),
    /// [`crate::Client::close`] was called.
    Closed,
}

/// Something the application may want to react to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// A ruleset is being served (first load, or back after being stale).
    Ready {
        /// Its revision.
        revision: u64,
    },
    /// The ruleset changed; these flags may evaluate differently now.
    Changed {
        /// The new revision.
        revision: u64,
        /// Keys of the flags concerned.
        flags: Vec<String>,
    },
    /// The server cannot be reached; the last ruleset keeps serving.
    Stale {
        /// Why.
        error: String,
    },
    /// A sync attempt failed (while starting, or a bad message).
    Error {
        /// Why.
        error: String,
    },
}
