//! Versions: every document carries one, a read returns it (`ETag`), and a write names
//! the version it replaces (`If-Match`), so that two writers never overwrite each other
//! unknowingly.

use serde::{Deserialize, Serialize};

use super::ServiceError;
use crate::infra::store::{Expect, Kind};

/// What a write's `If-Match` said: the version it replaces. `If-Match: *` ("any
/// version") is refused by the HTTP layer: every write names the version it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IfMatch {
    /// A version.
    Version(u64),
}

/// A document as returned by the API: its fields plus `version`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct WithVersion<T> {
    /// The document.
    #[serde(flatten)]
    pub doc: T,
    /// The store version (`If-Match` carries it).
    pub version: u64,
}

/// The expectation for replacing `(kind, key)` given the caller's If-Match and what the
/// served catalog last saw.
pub(crate) fn expect_for(
    if_match: Option<IfMatch>,
    exists: Option<u64>,
    kind: Kind,
    key: &str,
) -> Result<Expect, ServiceError> {
    match (if_match, exists) {
        (None, None) => Ok(Expect::Absent),
        (None, Some(current)) => Err(ServiceError::VersionRequired {
            kind,
            key: key.to_owned(),
            current,
        }),
        (Some(IfMatch::Version(v)), _) => Ok(Expect::Version(v)),
    }
}

/// The expectation for a write that must name the version it changes (deletes, and
/// replacing a document that always exists): If-Match is required.
pub(crate) fn expect_required(
    if_match: Option<IfMatch>,
    kind: Kind,
    key: &str,
    current: u64,
) -> Result<Expect, ServiceError> {
    match if_match {
        Some(IfMatch::Version(v)) => Ok(Expect::Version(v)),
        None => Err(ServiceError::VersionRequired {
            kind,
            key: key.to_owned(),
            current,
        }),
    }
}
