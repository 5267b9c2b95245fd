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

pub mod audit;
pub mod changelog;
pub mod environments;
pub mod flags;
pub mod releases;
pub mod reports;
pub mod seed;
pub mod segments;
pub mod tokens;
pub mod webhooks;

use rollgate_core::FieldError;
use rollgate_core::key::check_key;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use app::App;
pub use caller::{Forbidden, Principal, require_role};
pub use commit::{commit, commit_at_revision, write_conflict};
pub use error::{Conflict, FlagProblem, Refusal, ServiceError};
pub use version::{IfMatch, WithVersion, delete_expectation, expect_for};

use crate::infra::store::Kind;

/// Checks a key taken from a URL.
pub fn check_path_key(field: &str, key: &str) -> Result<(), ServiceError> {
    check_key(key).map_err(|message| ServiceError::invalid(field, message))
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
                    return Err(ServiceError::invalid(
                        "version",
                        "must be a non-negative integer",
                    ));
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

/// Serializes a document for the store.
pub fn to_body<T: Serialize>(doc: &T) -> Result<Vec<u8>, ServiceError> {
    serde_json::to_vec(doc).map_err(ServiceError::unreadable)
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
pub async fn read_all<T: DeserializeOwned>(
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
