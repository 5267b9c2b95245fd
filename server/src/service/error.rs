//! The one error of the services: why a call failed, in causes a caller can match on.

use rollgate_core::{FieldError, ParseError};

use crate::infra::auth::AuthError;
use crate::infra::store::{Kind, StoreError};

/// Why an admin call failed, in terms the HTTP layer maps to statuses.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing or wrong credentials, or not allowed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The body is not JSON.
    #[error("{0}")]
    Malformed(FieldError),
    /// The document is JSON but not acceptable.
    #[error("{} problem(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<FieldError>),
    /// No such document.
    #[error("{kind} {key:?} not found")]
    NotFound {
        /// Its kind.
        kind: Kind,
        /// Its key.
        key: String,
    },
    /// The document exists and the write did not say which version it replaces.
    #[error(
        "{kind} {key:?} exists (version {current}); send If-Match with the version you are replacing"
    )]
    PreconditionRequired {
        /// Its kind.
        kind: Kind,
        /// Its key.
        key: String,
        /// The current version.
        current: u64,
    },
    /// The version in If-Match is not the current one.
    #[error("{kind} {key:?} has changed: If-Match names version {expected}, the current version is {}", current.map_or("none (deleted)".to_owned(), |v| v.to_string()))]
    PreconditionFailed {
        /// Its kind.
        kind: Kind,
        /// Its key.
        key: String,
        /// The version the caller named.
        expected: u64,
        /// The current version, if any.
        current: Option<u64>,
    },
    /// The request conflicts with the state of other documents.
    #[error("{detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The field concerned, if one.
        field: Option<String>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<ParseError> for ServiceError {
    fn from(error: ParseError) -> ServiceError {
        match error {
            ParseError::Syntax(error) => ServiceError::Malformed(error),
            ParseError::Invalid(errors) => ServiceError::Invalid(errors),
        }
    }
}
