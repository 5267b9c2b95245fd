//! flagd files through the admin API: `POST /api/v1/import/flagd` writes a flagd
//! flag-definition file into one environment, `GET /api/v1/export/flagd` writes an
//! environment back out as one. The translation is rollgate-core's (`flagd`), pure;
//! this module adds what a translation cannot know: who may write, the catalog at the
//! revision it is written against, the releases that own a flag, and the one commit.
//!
//! An import is all or nothing: every problem of the file (each with its flag and its
//! JSON path in the file) is a `422` and nothing is written; otherwise every flag and
//! segment goes in one commit, guarded by the revision it was translated against (if
//! the catalog moved meanwhile, it is translated again). A dry run answers what would
//! be written and writes nothing. An import writes variants and segments, which every
//! environment shares, so it takes an editor token not scoped to environments.

use rollgate_core::FieldError;
use rollgate_core::flagd::{self, CatalogView, Finding, ImportOptions, Imported, Written};
use rollgate_core::model::{Flag, Segment};
use serde::{Deserialize, Serialize};

use super::releases::ownership;
use super::{
    App, Principal, ServiceError, change_by, commit_at_revision, require_environment, require_role,
    require_unscoped, to_body,
};
use crate::infra::auth::Role;
use crate::infra::hub::Catalog;
use crate::infra::store::{Expect, Kind, StoreError, Write};

/// The query of `POST /api/v1/import/flagd`.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportParams {
    /// The environment the file's flags are configured in.
    pub environment: String,
    /// Answer what would be written, and write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Overwrite flags and segments that exist (their other environments are kept)
    /// instead of refusing them.
    #[serde(default)]
    pub replace: bool,
}

/// The query of `GET /api/v1/export/flagd`.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportParams {
    /// The environment whose flags are written.
    pub environment: String,
}

/// One document an import writes (or would write).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct WrittenDocument {
    /// Its key.
    pub key: String,
    /// `created` or `replaced`.
    pub action: &'static str,
    /// The flag or segment as stored.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// Something about one place of the file (a note on import, a flag left out on export).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct FindingView {
    /// The flag concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// The JSON path it concerns.
    pub field: String,
    /// What.
    pub message: String,
}

impl From<Finding> for FindingView {
    fn from(finding: Finding) -> FindingView {
        FindingView {
            flag: finding.flag,
            field: finding.field,
            message: finding.message,
        }
    }
}

/// What an import wrote (or, on a dry run, would write).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct FlagdImport {
    /// The revision of its commit; `None` for a dry run.
    pub revision: Option<u64>,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// The flags.
    pub flags: Vec<WrittenDocument>,
    /// The segments made from shared evaluators.
    pub segments: Vec<WrittenDocument>,
    /// What was translated with a remark.
    pub notes: Vec<FindingView>,
}

/// An environment as a flagd file.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct FlagdExport {
    /// The flagd flag-definition file.
    #[schema(value_type = Object)]
    pub flagd: serde_json::Value,
    /// The flags left out, each with why (flagd cannot state it).
    pub left_out: Vec<FindingView>,
}

/// The served catalog as the translation sees it.
struct View<'a>(&'a Catalog);

impl CatalogView for View<'_> {
    fn environments(&self) -> Vec<String> {
        self.0.environments.keys().cloned().collect()
    }

    fn flag(&self, key: &str) -> Option<&Flag> {
        self.0.flags.get(key).map(|v| &*v.doc)
    }

    fn segment(&self, key: &str) -> Option<&Segment> {
        self.0.segments.get(key).map(|v| &*v.doc)
    }

    fn segment_keys(&self) -> Vec<String> {
        self.0.segments.keys().cloned().collect()
    }
}

/// Every problem of the file, as the fields of a `422`.
fn invalid(problems: Vec<Finding>) -> ServiceError {
    ServiceError::Invalid(
        problems
            .into_iter()
            .map(|p| {
                let message = match &p.flag {
                    Some(flag) => format!("flag {flag:?}: {}", p.message),
                    None => p.message,
                };
                FieldError::new(p.field, message)
            })
            .collect(),
    )
}

fn translate(
    body: &[u8],
    params: &ImportParams,
    catalog: &Catalog,
) -> Result<Imported, ServiceError> {
    let options = ImportOptions {
        replace: params.replace,
    };
    flagd::import(body, &params.environment, &View(catalog), options).map_err(invalid)
}

/// The writes of `written`, each guarded by the version it replaces (or its absence).
fn writes<T: Serialize>(
    kind: Kind,
    written: &[Written<T>],
    key: impl Fn(&T) -> &str,
    version: impl Fn(&str) -> Option<u64>,
) -> Result<Vec<Write>, ServiceError> {
    written
        .iter()
        .map(|w| {
            let key = key(&w.document);
            let expect = version(key).map_or(Expect::Absent, Expect::Version);
            Ok(Write::put(kind, key, expect, to_body(&w.document)?))
        })
        .collect()
}

fn documents<T: Serialize>(
    written: &[Written<T>],
    key: impl Fn(&T) -> &str,
) -> Result<Vec<WrittenDocument>, ServiceError> {
    written
        .iter()
        .map(|w| {
            Ok(WrittenDocument {
                key: key(&w.document).to_owned(),
                action: if w.replaces { "replaced" } else { "created" },
                document: serde_json::to_value(&w.document).map_err(ServiceError::unreadable)?,
            })
        })
        .collect()
}

/// Imports the flagd file `body` into `params.environment`: one commit, or nothing.
pub(crate) async fn import(
    app: &App,
    principal: &Principal,
    params: &ImportParams,
    body: &[u8],
) -> Result<FlagdImport, ServiceError> {
    require_role(principal, Role::Editor)?;
    require_environment(principal, &params.environment)?;
    require_unscoped(principal, "flagd imports (variants and segments)")?;
    let catalog = app.hub.catalog();
    let imported = translate(body, params, &catalog)?;
    for written in imported.flags.iter().filter(|w| w.replaces) {
        let key = &written.document.key;
        let before = catalog.flags.get(key).map(|v| &*v.doc);
        ownership::refuse_owned(app, key, before, Some(&written.document)).await?;
    }
    let mut revision = None;
    if !params.dry_run {
        let change = commit_at_revision(app, |catalog| {
            let imported = translate(body, params, catalog)?;
            let mut all = writes(
                Kind::Segment,
                &imported.segments,
                |s| &s.key,
                |k| catalog.segments.get(k).map(|v| v.version),
            )?;
            all.extend(writes(
                Kind::Flag,
                &imported.flags,
                |f| &f.key,
                |k| catalog.flags.get(k).map(|v| v.version),
            )?);
            Ok(change_by(app, principal, "flagd.import", all))
        })
        .await;
        match change {
            Ok(change) => revision = Some(change.revision),
            Err(ServiceError::StoreFailed(StoreError::EmptyCommit)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(FlagdImport {
        revision,
        dry_run: params.dry_run,
        flags: documents(&imported.flags, |f| &f.key)?,
        segments: documents(&imported.segments, |s| &s.key)?,
        notes: imported.notes.into_iter().map(FindingView::from).collect(),
    })
}

/// The flags of `params.environment` as a flagd file, and those flagd cannot state.
pub(crate) fn export(
    app: &App,
    principal: &Principal,
    params: &ExportParams,
) -> Result<FlagdExport, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let catalog = app.hub.catalog();
    if !catalog.environments.contains_key(&params.environment) {
        let known: Vec<&String> = catalog.environments.keys().collect();
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "environment",
            format!(
                "unknown environment {:?}; the environments are {known:?}",
                params.environment
            ),
        )]));
    }
    let exported = flagd::export(
        catalog.flags.values().map(|v| &*v.doc),
        catalog.segments.values().map(|v| &*v.doc),
        &params.environment,
    );
    Ok(FlagdExport {
        flagd: exported.document,
        left_out: exported
            .problems
            .into_iter()
            .map(FindingView::from)
            .collect(),
    })
}
