//! Rollgate's Rust SDK: flags evaluated inside the application, with the very same
//! engine as the server (`rollgate-core`), on a ruleset kept current by the server's
//! change stream.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rollgate_sdk::Error> {
//! use rollgate_sdk::{Client, Context};
//!
//! let client = Client::builder("http://127.0.0.1:8070", "rg_sdk_…").build().await?;
//! let user = Context::with_targeting_key("user-42").set("country", "NL");
//! if client.bool_value("new-checkout", &user, false) {
//!     // the new checkout; label this request's metrics with the cohort:
//!     let _variant = client.cohort("new-checkout", &user);
//! }
//! client.close().await?;
//! # Ok(()) }
//! ```
//!
//! - **Evaluation** never blocks and never does I/O: it loads the current compiled
//!   snapshot from an `ArcSwap` and evaluates it.
//! - **Sync**: streaming (Server-Sent Events, resumed by revision after any disconnect)
//!   by default, polling with `ETag` as an alternative, or offline from a bootstrap file.
//!   When the server cannot be reached, the last ruleset keeps serving ([`Status::Stale`]).
//! - **Exposures** are counted per flag, variant and reason and reported in the
//!   background (and on [`Client::close`]), so the server's `rollgate_evaluations_total`
//!   includes local evaluations.
//! - With the `openfeature` feature, [`openfeature::RollgateProvider`] plugs the client
//!   into the OpenFeature SDK.

mod builder;
mod client;
pub mod exposure;
#[cfg(feature = "openfeature")]
pub mod openfeature;
pub mod ruleset;
mod shared;
pub mod sse;
mod status;
mod sync;

use std::path::PathBuf;
use std::time::Duration;

pub use builder::{Backoff, ClientBuilder, Mode};
pub use client::{Client, Details};
/// Why a getter returned the caller's default: OpenFeature's error code, as the server
/// names it too (`FLAG_NOT_FOUND`, …; `PROVIDER_NOT_READY` before the first ruleset,
/// `TYPE_MISMATCH` when the flag serves another type).
pub use rollgate_core::ErrorCode as ErrorKind;
pub use rollgate_core::{Context, Reason};
pub use status::{ClientEvent, Status};

/// Why the client could not start, or a report could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The builder's settings cannot work.
    #[error("invalid client configuration: {0}")]
    InvalidConfig(String),
    /// The bootstrap file could not be read.
    #[error("bootstrap file {}: {reason}", path.display())]
    Bootstrap {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The server refused the SDK key.
    #[error("the server refused the SDK key: {0}")]
    Rejected(String),
    /// No ruleset arrived within the ready timeout.
    #[error("no ruleset within {waited:?}; last error: {}", last_error.as_deref().unwrap_or("none"))]
    Timeout {
        /// How long the client waited.
        waited: Duration,
        /// The last sync error, if any.
        last_error: Option<String>,
    },
    /// The server could not be reached.
    #[error("cannot reach the server: {0}")]
    Http(String),
    /// The server answered with an error.
    #[error("the server answered {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Its answer.
        message: String,
    },
}
