//! The one service behind the documents the admin API manages whole — environments,
//! segments and flags: list, read, create or replace under `If-Match`, and delete what
//! nothing uses. Each kind says only what differs (see [`Document`]): who may write it,
//! what it refuses, how it validates, what it refers to and what uses it.
//!
//! A write validates in two steps, and the version check sits between them: first the
//! document alone, then the document among the others (a flag's environments and
//! segments). So a document that is wrong in itself is refused before its version is
//! looked at, and one that only clashes with the catalog after.

use std::collections::BTreeMap;

use rollgate_core::FieldError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    App, IfMatch, Principal, ServiceError, WithVersion, change_by, check_path_key, commit,
    commit_at_revision, expect_for, expect_required, read, read_all, require_role,
    require_unscoped, to_body,
};
use crate::infra::auth::Role;
use crate::infra::hub::{Catalog, Versioned};
use crate::infra::store::{Check, Commit, Expect, Kind, Write};

/// A kind of document the admin API manages whole.
pub(crate) trait Document: Serialize + DeserializeOwned + Sized {
    /// Its kind in the store.
    const KIND: Kind;
    /// The role that may write it (everyone with an admin token reads it).
    const WRITER: Role;
    /// What these documents are, in the plural: a token scoped to environments may not
    /// write them, since they concern every environment.
    const SHARED: &'static str;

    /// The served documents of this kind.
    fn served(catalog: &Catalog) -> &BTreeMap<String, Versioned<Self>>;

    /// The same, to change (a catalog being built, e.g. by an import).
    fn served_mut(catalog: &mut Catalog) -> &mut BTreeMap<String, Versioned<Self>>;

    /// Refuses a write to `key` before its body is read (built-in documents).
    fn refuse_write(_key: &str) -> Result<(), ServiceError> {
        Ok(())
    }

    /// Problems with the document alone.
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }

    /// Problems with the document among the served ones.
    fn validate_in(&self, _catalog: &Catalog) -> Vec<FieldError> {
        Vec::new()
    }

    /// The documents it refers to, which the write checks still exist.
    fn references(&self) -> Vec<Check> {
        Vec::new()
    }

    /// Refuses deleting `key` before anything is read (built-in documents).
    fn refuse_delete(_key: &str) -> Result<(), ServiceError> {
        Ok(())
    }

    /// Refuses deleting `key` while other served documents use it.
    fn in_use(_key: &str, _catalog: &Catalog) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// Every document of kind `T`.
pub(crate) async fn list<T: Document>(
    app: &App,
    principal: &Principal,
) -> Result<Vec<WithVersion<T>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read_all(app, T::KIND).await
}

/// One document.
pub(crate) async fn get<T: Document>(
    app: &App,
    principal: &Principal,
    key: &str,
) -> Result<WithVersion<T>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read(app, T::KIND, key).await
}

/// Creates (no If-Match, absent) or replaces (If-Match) a document. Returns the stored
/// document and whether it was created.
pub(crate) async fn put<T: Document>(
    app: &App,
    principal: &Principal,
    key: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<(WithVersion<T>, bool), ServiceError> {
    require_role(principal, T::WRITER)?;
    require_unscoped(principal, T::SHARED)?;
    check_path_key("key", key)?;
    T::refuse_write(key)?;
    let doc: T = parse_document(body, key)?;
    let errors = doc.validate();
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let existing = T::served(&app.hub.catalog()).get(key).map(|d| d.version);
    let expect = expect_for(if_match, existing, T::KIND, key)?;
    let action = format!("{}.put", T::KIND);
    write(app, principal, key, doc, expect, &action).await
}

/// Validates `doc` among the served documents and writes it under `key`, checking in
/// the same commit that everything it refers to still exists (a reference that
/// vanished meanwhile is a `NotFound` naming it).
pub(crate) async fn write<T: Document>(
    app: &App,
    principal: &Principal,
    key: &str,
    doc: T,
    expect: Expect,
    action: &str,
) -> Result<(WithVersion<T>, bool), ServiceError> {
    let change = commit(app, commit_of(app, principal, key, &doc, expect, action)?).await?;
    let version = change.entries.first().map_or(1, |e| e.version);
    Ok((WithVersion { doc, version }, expect == Expect::Absent))
}

/// The commit that writes `doc` under `key` (its first write), once `doc` is valid
/// among the served documents: the caller may add to it before committing.
pub(crate) fn commit_of<T: Document>(
    app: &App,
    principal: &Principal,
    key: &str,
    doc: &T,
    expect: Expect,
    action: &str,
) -> Result<Commit, ServiceError> {
    let errors = doc.validate_in(&app.hub.catalog());
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok(Commit {
        checks: doc.references(),
        ..change_by(
            app,
            principal,
            action,
            vec![Write::put(T::KIND, key, expect, to_body(doc)?)],
        )
    })
}

/// Deletes a document nothing uses (If-Match required). Whether it is in use is decided
/// on the served catalog, and the delete applies only if the store has not moved since.
pub(crate) async fn delete<T: Document>(
    app: &App,
    principal: &Principal,
    key: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, T::WRITER)?;
    require_unscoped(principal, T::SHARED)?;
    T::refuse_delete(key)?;
    commit_at_revision(app, |catalog| {
        let Some(existing) = T::served(catalog).get(key) else {
            return Err(ServiceError::NotFound {
                kind: T::KIND,
                key: key.to_owned(),
            });
        };
        let expect = expect_required(if_match, T::KIND, key, existing.version)?;
        T::in_use(key, catalog)?;
        let writes = vec![Write::delete(T::KIND, key, expect)];
        Ok(change_by(
            app,
            principal,
            format!("{}.delete", T::KIND),
            writes,
        ))
    })
    .await?;
    Ok(())
}

/// Parses a document body whose `key` may be left out (the URL names it) and whose
/// `version` is read-only (If-Match carries the version for writes).
///
/// The top-level fields are read as raw JSON, so nested objects (a flag's variants)
/// keep the order the author wrote them in.
pub(crate) fn parse_document<T: DeserializeOwned>(
    body: &[u8],
    key: &str,
) -> Result<T, ServiceError> {
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
