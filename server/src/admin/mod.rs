//! The admin services: what the admin API does, independent of HTTP.
//!
//! Each function checks the caller's role, validates its input into precise field
//! errors, and writes through one atomic store commit guarded by the document's version
//! (and by checks on the documents it references), then waits until the change is
//! served. Errors are [`ServiceError`]s; `http::problem` maps them to responses.

pub mod audit;
pub mod environments;
pub mod flags;
pub mod seed;
pub mod segments;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use rollgate_core::key::check_key;
use rollgate_core::{FieldError, ParseError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::AuthError;
use crate::hub::Catalog;
use crate::state::App;
use crate::store::{Change, Commit, Expect, Kind, StoreError};

/// How long a writer waits for its change to be served before answering anyway (the
/// change is durable either way).
const SERVE_WAIT: Duration = Duration::from_secs(5);

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

/// What a write's `If-Match` said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: the document must exist.
    Any,
    /// A version.
    Version(u64),
}

/// A document as returned by the API: its fields plus `version`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WithVersion<T> {
    /// The document.
    #[serde(flatten)]
    pub doc: T,
    /// The store version (`If-Match` carries it).
    pub version: u64,
}

/// Checks a key taken from a URL.
pub fn check_path_key(field: &str, key: &str) -> Result<(), ServiceError> {
    check_key(key).map_err(|message| ServiceError::Invalid(vec![FieldError::new(field, message)]))
}

/// Parses a document body whose `key` may be left out (the URL names it) and whose
/// `version` is read-only (If-Match carries the version for writes).
///
/// The top-level fields are read as raw JSON, so nested objects (a flag's variants)
/// keep the order the author wrote them in.
pub fn parse_document<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<T, ServiceError> {
    let fields: TopLevel = rollgate_core::validate::parse(body)?;
    let mut text = String::with_capacity(body.len() + key.len() + 16);
    text.push('{');
    let mut has_key = false;
    for (name, raw) in &fields.0 {
        match name.as_str() {
            "version" => {
                if serde_json::from_str::<u64>(raw.get()).is_err() {
                    return Err(ServiceError::Invalid(vec![FieldError::new(
                        "version",
                        "must be a non-negative integer",
                    )]));
                }
                continue;
            }
            "key" => {
                if serde_json::from_str::<&str>(raw.get()).ok() != Some(key) {
                    return Err(ServiceError::Invalid(vec![FieldError::new(
                        "key",
                        format!(
                            "the body names {} but the URL names {key:?}; leave `key` out or make them agree",
                            raw.get()
                        ),
                    )]));
                }
                has_key = true;
            }
            _ => {}
        }
        if text.len() > 1 {
            text.push(',');
        }
        text.push_str(&serde_json::Value::String(name.clone()).to_string());
        text.push(':');
        text.push_str(raw.get());
    }
    if !has_key {
        if text.len() > 1 {
            text.push(',');
        }
        text.push_str("\"key\":");
        text.push_str(&serde_json::Value::String(key.to_owned()).to_string());
    }
    text.push('}');
    Ok(rollgate_core::validate::parse(text.as_bytes())?)
}

/// The top-level fields of a JSON object, raw and in order; duplicates are refused.
struct TopLevel(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> serde::Deserialize<'de> for TopLevel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TopLevel, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = TopLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TopLevel, A::Error> {
                let mut fields: Vec<(String, Box<serde_json::value::RawValue>)> = Vec::new();
                while let Some((name, raw)) =
                    map.next_entry::<String, Box<serde_json::value::RawValue>>()?
                {
                    if fields.iter().any(|(seen, _)| *seen == name) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate field `{name}`"
                        )));
                    }
                    fields.push((name, raw));
                }
                Ok(TopLevel(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The expectation for replacing `(kind, key)` given the caller's If-Match and what the
/// served catalog last saw.
pub fn expect_for(
    if_match: Option<IfMatch>,
    exists: Option<u64>,
    kind: Kind,
    key: &str,
) -> Result<Expect, ServiceError> {
    match (if_match, exists) {
        (None, None) => Ok(Expect::Absent),
        (None, Some(current)) => Err(ServiceError::PreconditionRequired {
            kind,
            key: key.to_owned(),
            current,
        }),
        (Some(IfMatch::Any), _) => Ok(Expect::Present),
        (Some(IfMatch::Version(v)), _) => Ok(Expect::Version(v)),
    }
}

/// Commits, maps conflicts on the written document to 412/428, and waits until the
/// change is served.
pub async fn commit(app: &App, commit: Commit) -> Result<Arc<Change>, ServiceError> {
    let change = app
        .store
        .commit(commit)
        .await
        .map_err(conflict_to_precondition)?;
    if tokio::time::timeout(SERVE_WAIT, app.hub.wait_for(change.revision))
        .await
        .is_err()
    {
        tracing::warn!(
            revision = change.revision,
            "change committed but not yet served after 5 s"
        );
    }
    Ok(change)
}

/// Maps a store conflict to the HTTP precondition semantics.
pub fn conflict_to_precondition(error: StoreError) -> ServiceError {
    match error {
        StoreError::Conflict {
            kind,
            key,
            expected: Expect::Absent,
            found: Some(current),
        } => ServiceError::PreconditionRequired { kind, key, current },
        StoreError::Conflict {
            kind,
            key,
            expected: Expect::Version(expected),
            found,
        } => ServiceError::PreconditionFailed {
            kind,
            key,
            expected,
            current: found,
        },
        StoreError::Conflict {
            kind,
            key,
            expected: Expect::Present,
            found: None,
        } => ServiceError::NotFound { kind, key },
        other => ServiceError::Store(other),
    }
}

/// How often a write that depends on the whole catalog retries when the store moved.
const STALE_RETRIES: usize = 5;

/// Commits a write whose validity depends on the whole catalog (e.g. "no flag uses this
/// segment"): `build` decides from the served catalog, and the commit only applies if
/// the store is still at that catalog's revision; otherwise it waits and decides again.
pub async fn commit_at_revision<F>(app: &App, mut build: F) -> Result<Arc<Change>, ServiceError>
where
    F: FnMut(&Catalog) -> Result<Commit, ServiceError>,
{
    for _ in 0..STALE_RETRIES {
        let catalog = app.hub.catalog();
        let mut commit = build(&catalog)?;
        commit.expect_revision = Some(catalog.revision);
        match app.store.commit(commit).await {
            Ok(change) => {
                app.hub.wait_for(change.revision).await;
                return Ok(change);
            }
            Err(StoreError::Stale { found, .. }) => app.hub.wait_for(found).await,
            Err(other) => return Err(conflict_to_precondition(other)),
        }
    }
    Err(ServiceError::Conflict {
        detail: "the store kept changing during this write; try again".to_owned(),
        field: None,
    })
}

/// The expectation for deleting a document: If-Match is required.
pub fn delete_expectation(
    if_match: Option<IfMatch>,
    kind: Kind,
    key: &str,
    current: u64,
) -> Result<Expect, ServiceError> {
    match if_match {
        Some(IfMatch::Version(v)) => Ok(Expect::Version(v)),
        Some(IfMatch::Any) => Ok(Expect::Present),
        None => Err(ServiceError::PreconditionRequired {
            kind,
            key: key.to_owned(),
            current,
        }),
    }
}

/// Serializes a document for the store.
pub fn to_body<T: Serialize>(doc: &T) -> Result<Vec<u8>, ServiceError> {
    serde_json::to_vec(doc).map_err(|e| ServiceError::Store(StoreError::Backend(Box::new(e))))
}

/// Reads one stored document into `T` with its version.
pub async fn read<T: DeserializeOwned>(
    app: &App,
    kind: Kind,
    key: &str,
) -> Result<WithVersion<T>, ServiceError> {
    let document = app
        .store
        .get(kind, key)
        .await
        .map_err(ServiceError::Store)?
        .ok_or_else(|| ServiceError::NotFound {
            kind,
            key: key.to_owned(),
        })?;
    let doc = serde_json::from_slice(&document.body)
        .map_err(|e| ServiceError::Store(StoreError::Backend(Box::new(e))))?;
    Ok(WithVersion {
        doc,
        version: document.version,
    })
}

/// Reads every stored document of a kind.
pub async fn read_all<T: DeserializeOwned>(
    app: &App,
    kind: Kind,
) -> Result<Vec<WithVersion<T>>, ServiceError> {
    let documents = app.store.list(kind).await.map_err(ServiceError::Store)?;
    documents
        .into_iter()
        .map(|d| {
            let doc = serde_json::from_slice(&d.body)
                .map_err(|e| ServiceError::Store(StoreError::Backend(Box::new(e))))?;
            Ok(WithVersion {
                doc,
                version: d.version,
            })
        })
        .collect()
}
