//! Why an OFREP request gets no evaluation. OFREP answers errors in its own shape
//! (`{"key", "errorCode", "errorDetails"}`), so these causes have their own renderer in
//! [`crate::http::problem`], which alone picks each one's status and error code.

use std::time::Duration;

use actix_web::error::PayloadError;
use rollgate_core::ofrep::RequestError;

use crate::http::guard::{Refused, Throttled};
use crate::http::request_error::RequestError as Shape;
use crate::infra::auth::Unauthenticated;
use crate::service::Forbidden;

/// An OFREP request refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OfrepError {
    /// A path under `/ofrep/` that is no OFREP endpoint.
    #[error(
        "no OFREP endpoint at {0}; evaluate with POST /ofrep/v1/evaluate/flags/{{key}} or POST /ofrep/v1/evaluate/flags"
    )]
    NoEndpoint(String),
    /// A flag key with a `/` in it: no flag has one.
    #[error("flag {0:?} does not exist: flag keys never contain \"/\" and are not empty")]
    KeyWithSlash(String),
    /// A method the endpoint does not have.
    #[error(transparent)]
    Method(Shape),
    /// No usable SDK key.
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// The caller's address failed authentication too often.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// An admin token, or a key whose environment is gone.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// The key made more requests this second than `limits.ofrep_requests_per_second`.
    #[error("rate limit reached for this SDK key")]
    RateLimited {
        /// Seconds until the next window.
        retry_after: u64,
    },
    /// A body over `limits.max_context_bytes`.
    #[error("the evaluation context is larger than {0} bytes (limits.max_context_bytes)")]
    TooLarge(usize),
    /// The body did not arrive within `limits.read_timeout`.
    #[error("the body did not arrive within {0:?} (limits.read_timeout)")]
    TimedOut(Duration),
    /// The connection failed while the body was read.
    #[error("could not read the body: {0}")]
    Unreadable(PayloadError),
    /// The body is not an OFREP request, or its context is not an object.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A bulk request whose `targetingKey` is neither a string nor null.
    #[error("targetingKey must be a string")]
    TargetingKeyNotString,
    /// The answer could not be written.
    #[error("{0}")]
    Internal(#[from] serde_json::Error),
}

impl From<Refused> for OfrepError {
    fn from(refused: Refused) -> OfrepError {
        match refused {
            Refused::Unauthenticated(why) => why.into(),
            Refused::Throttled(throttled) => throttled.into(),
        }
    }
}
