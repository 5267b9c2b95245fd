//! The whole catalog — environments, segments and flags — as one JSON document, for
//! backups and for moving flags between installations: `GET /api/v1/catalog` reads it
//! at one revision, `POST /api/v1/catalog` writes one back.
//!
//! An import is validated whole before anything is written — each document alone, then
//! every document among the catalog it would make (the stored one with the imported
//! documents in place) — and written in one commit, guarded by the version of every
//! document it replaces and by the revision it was validated at: all or nothing.
//! Documents the file does not name are left as they are; documents it names unchanged
//! are not rewritten.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rollgate_core::FieldError;
use rollgate_core::model::{Environment, Flag, Segment};
use serde::{Deserialize, Serialize};

use super::documents::Document;
use super::{App, Principal, ServiceError, change_by, commit_at_revision, require_role, to_body};
use crate::infra::auth::Role;
use crate::infra::hub::{Catalog, Versioned};
use crate::infra::store::{Expect, StoreError, Write};

/// What a catalog document says it is.
pub(crate) const FORMAT: &str = "rollgate.catalog/v1";

/// The catalog as one document.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogDocument {
    /// `rollgate.catalog/v1`.
    pub format: String,
    /// The store revision it was read at (informative; an import ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Every environment.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub environments: Vec<Environment>,
    /// Every segment.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub segments: Vec<Segment>,
    /// Every flag.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<Flag>,
}

/// What an import did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ImportOutcome {
    /// The revision of its commit (`None` when nothing differed).
    pub revision: Option<u64>,
    /// Documents created.
    pub created: usize,
    /// Documents replaced.
    pub replaced: usize,
    /// Documents that were already as the file says.
    pub unchanged: usize,
}

/// The catalog served now.
pub(crate) fn export(app: &App, principal: &Principal) -> Result<CatalogDocument, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let catalog = app.hub.catalog();
    Ok(CatalogDocument {
        format: FORMAT.to_owned(),
        revision: Some(catalog.revision),
        environments: every(&catalog.environments),
        segments: every(&catalog.segments),
        flags: every(&catalog.flags),
    })
}

/// Writes every document of `body` in one commit, or none.
pub(crate) async fn import(
    app: &App,
    principal: &Principal,
    body: &[u8],
) -> Result<ImportOutcome, ServiceError> {
    require_role(principal, Role::Admin)?;
    let document: CatalogDocument = rollgate_core::validate::parse(body)?;
    let mut errors = Vec::new();
    if document.format != FORMAT {
        errors.push(FieldError::new(
            "format",
            format!("must be {FORMAT:?}, got {:?}", document.format),
        ));
    }
    check_alone(
        &document.environments,
        "environments",
        |e| &e.key,
        &mut errors,
    );
    check_alone(&document.segments, "segments", |s| &s.key, &mut errors);
    check_alone(&document.flags, "flags", |f| &f.key, &mut errors);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut outcome = ImportOutcome {
        revision: None,
        created: 0,
        replaced: 0,
        unchanged: 0,
    };
    let change = commit_at_revision(app, |catalog| {
        let mut combined = Catalog::clone(catalog);
        let mut writes = Vec::new();
        outcome = ImportOutcome {
            revision: None,
            created: 0,
            replaced: 0,
            unchanged: 0,
        };
        stage(
            &document.environments,
            |e| &e.key,
            &mut combined,
            &mut writes,
            &mut outcome,
        )?;
        stage(
            &document.segments,
            |s| &s.key,
            &mut combined,
            &mut writes,
            &mut outcome,
        )?;
        stage(
            &document.flags,
            |f| &f.key,
            &mut combined,
            &mut writes,
            &mut outcome,
        )?;
        let mut errors = Vec::new();
        check_among(
            &document.environments,
            "environments",
            &combined,
            &mut errors,
        );
        check_among(&document.segments, "segments", &combined, &mut errors);
        check_among(&document.flags, "flags", &combined, &mut errors);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(change_by(app, principal, "catalog.import", writes))
    })
    .await;
    match change {
        Ok(change) => outcome.revision = Some(change.revision),
        // Every document was already as the file says: nothing to write.
        Err(ServiceError::StoreFailed(StoreError::EmptyCommit)) => {}
        Err(other) => return Err(other),
    }
    Ok(outcome)
}

/// Each document alone, and keys named once.
fn check_alone<T: Document>(
    docs: &[T],
    field: &str,
    key: impl Fn(&T) -> &String,
    errors: &mut Vec<FieldError>,
) {
    let mut seen = BTreeSet::new();
    for (index, doc) in docs.iter().enumerate() {
        let at = format!("{field}[{index}]");
        if !seen.insert(key(doc).clone()) {
            errors.push(FieldError::new(
                format!("{at}.key"),
                format!("{:?} is named twice", key(doc)),
            ));
        }
        if let Err(error) = rollgate_core::key::check_key(key(doc)) {
            errors.push(FieldError::new(format!("{at}.key"), error));
        }
        errors.extend(doc.validate().into_iter().map(|e| within(&at, e)));
    }
}

/// Each document among the catalog the import would make.
fn check_among<T: Document>(
    docs: &[T],
    field: &str,
    combined: &Catalog,
    errors: &mut Vec<FieldError>,
) {
    for (index, doc) in docs.iter().enumerate() {
        let at = format!("{field}[{index}]");
        errors.extend(
            doc.validate_in(combined)
                .into_iter()
                .map(|e| within(&at, e)),
        );
    }
}

/// Puts the imported documents into `combined` and the writes of those that differ from
/// the stored ones into `writes`.
fn stage<T: Document + Clone>(
    docs: &[T],
    key: impl Fn(&T) -> &String,
    combined: &mut Catalog,
    writes: &mut Vec<Write>,
    outcome: &mut ImportOutcome,
) -> Result<(), ServiceError> {
    for doc in docs {
        let key = key(doc);
        let body = to_body(doc)?;
        let served = T::served_mut(combined);
        let expect = match served.get(key) {
            Some(existing) if to_body(&*existing.doc)? == body => {
                outcome.unchanged += 1;
                continue;
            }
            Some(existing) => {
                outcome.replaced += 1;
                Expect::Version(existing.version)
            }
            None => {
                outcome.created += 1;
                Expect::Absent
            }
        };
        T::refuse_write(key)?;
        let version = match expect {
            Expect::Version(v) => v + 1,
            _ => 1,
        };
        served.insert(
            key.clone(),
            Versioned {
                version,
                revision: u64::MAX,
                doc: Arc::new(doc.clone()),
            },
        );
        writes.push(Write::put(T::KIND, key.clone(), expect, body));
    }
    Ok(())
}

/// Every document of a kind, in key order.
fn every<T: Clone>(served: &BTreeMap<String, Versioned<T>>) -> Vec<T> {
    served.values().map(|v| (*v.doc).clone()).collect()
}

fn within(at: &str, error: FieldError) -> FieldError {
    let field = if error.field.is_empty() {
        at.to_owned()
    } else {
        format!("{at}.{}", error.field)
    };
    FieldError { field, ..error }
}
