//! The services: what Rollgate does, independent of how it is asked. HTTP handlers, the
//! CLI's server side and the background tasks all call these functions, so every door
//! gets the same checks and the same answers.
//!
//! Each function checks the caller's role ([`caller`]), validates its input into
//! precise field errors, and writes through one atomic store commit ([`commit`])
//! guarded by the document's version ([`version`]) and by checks on the documents it
//! references, then waits until the change is served. Every failure is one
//! [`ServiceError`] whose causes are typed; `http::problem` alone turns them into
//! responses.

mod app;
mod caller;
mod commit;
mod error;
mod version;

pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod changelog;
pub(crate) mod documents;
pub(crate) mod environments;
pub(crate) mod flagd;
pub(crate) mod flags;
pub mod releases;
pub mod reports;
pub mod seed;
pub(crate) mod segments;
pub(crate) mod templates;
pub(crate) mod tokens;
pub(crate) mod webhooks;

use rollgate_core::key::check_key;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) use app::App;
pub(crate) use caller::{
    Forbidden, Principal, require_environment, require_role, require_unscoped,
};
pub(crate) use commit::{change_by, commit, commit_at_revision, write_conflict};
pub(crate) use error::{Conflict, FlagProblem, Owned, Refusal, ServiceError};
pub(crate) use version::{IfMatch, WithVersion, expect_for, expect_required};

use crate::infra::store::Kind;

/// Checks a key taken from a URL.
pub(crate) fn check_path_key(field: &str, key: &str) -> Result<(), ServiceError> {
    check_key(key).map_err(|message| ServiceError::invalid(field, message))
}

/// Serializes a document for the store.
pub(crate) fn to_body<T: Serialize>(doc: &T) -> Result<Vec<u8>, ServiceError> {
    serde_json::to_vec(doc).map_err(ServiceError::unreadable)
}

/// Reads one stored document into `T` with its version.
pub(crate) async fn read<T: DeserializeOwned>(
    app: &App,
    kind: Kind,
    key: &str,
) -> Result<WithVersion<T>, ServiceError> {
    let document = app
        .store
        .get(kind, key)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(|| ServiceError::NotFound {
            kind,
            key: key.to_owned(),
        })?;
    let doc = serde_json::from_slice(&document.body).map_err(ServiceError::unreadable)?;
    Ok(WithVersion {
        doc,
        version: document.version,
    })
}

/// Reads every stored document of a kind.
pub(crate) async fn read_all<T: DeserializeOwned>(
    app: &App,
    kind: Kind,
) -> Result<Vec<WithVersion<T>>, ServiceError> {
    let documents = app.store.list(kind).await.map_err(ServiceError::from)?;
    documents
        .into_iter()
        .map(|d| {
            let doc = serde_json::from_slice(&d.body).map_err(ServiceError::unreadable)?;
            Ok(WithVersion {
                doc,
                version: d.version,
            })
        })
        .collect()
}
