//! The documents evaluation and validation need, held in memory and kept current from
//! the change feed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rollgate_core::compile::{Source, recompile};
use rollgate_core::model::{Environment, Flag, Segment};
use rollgate_core::{Compiled, Snapshot, validate};
use serde::de::DeserializeOwned;

use crate::infra::auth::TokenRecord;
use crate::infra::store::{Change, ChangeEntry, Kind, Store, StoreError};

/// A document with its store version.
#[derive(Debug)]
pub(crate) struct Versioned<T> {
    /// The store version (`If-Match` carries it).
    pub version: u64,
    /// The revision of the change that wrote it (documents read at startup: the revision
    /// they were read at). Unlike `version`, which starts again at 1 when a deleted key
    /// is written anew, it names this content for good: compilation reuses by it.
    pub revision: u64,
    /// The document, shared with every snapshot compiled from it.
    pub doc: Arc<T>,
}

impl<T> Versioned<T> {
    /// The document as compilation sees it.
    fn source(&self) -> Source<'_, T> {
        Source {
            doc: &self.doc,
            version: self.revision,
        }
    }
}

impl<T> Clone for Versioned<T> {
    fn clone(&self) -> Versioned<T> {
        Versioned {
            version: self.version,
            revision: self.revision,
            doc: Arc::clone(&self.doc),
        }
    }
}

/// Environments, flags, segments and tokens at one revision.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    /// The revision these documents reflect.
    pub revision: u64,
    /// Environments by key.
    pub environments: BTreeMap<String, Versioned<Environment>>,
    /// Flags by key.
    pub flags: BTreeMap<String, Versioned<Flag>>,
    /// Segments by key.
    pub segments: BTreeMap<String, Versioned<Segment>>,
    /// Token records by id.
    pub tokens: BTreeMap<String, Versioned<TokenRecord>>,
    /// The revision of the last change that altered each environment's snapshot, as
    /// seen since the catalog was read (before that: `read_at`). It labels the
    /// snapshot, so that replicas which applied the same changes — one by one or in a
    /// batch — serve snapshots with the same revision (and OFREP bulk ETags).
    pub(crate) changed_at: BTreeMap<String, u64>,
    /// The revision the documents were read at.
    pub(crate) read_at: u64,
}

impl Catalog {
    /// Reads every document the catalog holds; `revision` is what the store reported
    /// just before.
    pub(crate) async fn read(store: &dyn Store, revision: u64) -> Result<Catalog, StoreError> {
        Ok(Catalog {
            revision,
            read_at: revision,
            changed_at: BTreeMap::new(),
            environments: read_kind(store, Kind::Environment, revision).await?,
            flags: read_kind(store, Kind::Flag, revision).await?,
            segments: read_kind(store, Kind::Segment, revision).await?,
            tokens: read_kind(store, Kind::Token, revision).await?,
        })
    }

    /// Applies one change; returns the environments whose snapshot it alters.
    pub(crate) fn apply(&mut self, change: &Change) -> BTreeSet<String> {
        let affected = self.affected_environments(change);
        for environment in &affected {
            self.changed_at.insert(environment.clone(), change.revision);
        }
        for entry in &change.entries {
            match entry.kind {
                Kind::Environment => apply_entry(&mut self.environments, entry, change.revision),
                Kind::Flag => apply_entry(&mut self.flags, entry, change.revision),
                Kind::Segment => apply_entry(&mut self.segments, entry, change.revision),
                Kind::Token => apply_entry(&mut self.tokens, entry, change.revision),
                _ => {}
            }
        }
        self.revision = self.revision.max(change.revision);
        affected
    }

    /// Environments whose snapshot `change` alters (before it is applied).
    fn affected_environments(&self, change: &Change) -> BTreeSet<String> {
        let mut affected = BTreeSet::new();
        for entry in &change.entries {
            match entry.kind {
                Kind::Environment => {
                    affected.insert(entry.key.clone());
                }
                Kind::Flag => {
                    if let Some(old) = self.flags.get(&entry.key) {
                        affected.extend(old.doc.environments.keys().cloned());
                    }
                    if let Some(new) = entry
                        .body
                        .as_deref()
                        .and_then(|b| serde_json::from_slice::<Flag>(b).ok())
                    {
                        affected.extend(new.environments.into_keys());
                    }
                }
                Kind::Segment => affected.extend(self.environments.keys().cloned()),
                _ => {}
            }
        }
        affected
    }

    /// Compiles `environment`'s snapshot, reusing from `previous` (an earlier snapshot
    /// of it compiled from this catalog's history) what did not change.
    pub(crate) fn compile(&self, environment: &str, previous: Option<&Snapshot>) -> Compiled {
        let changed_at = self.changed_at.get(environment).copied();
        recompile(
            previous,
            environment,
            changed_at.unwrap_or(self.read_at),
            self.flags.values().map(Versioned::source),
            self.segments.values().map(Versioned::source),
        )
    }

    /// The keys validation checks references against.
    pub(crate) fn references(&self) -> validate::Catalog {
        validate::Catalog {
            environments: self.environments.keys().cloned().collect(),
            segments: self.segments.keys().cloned().collect(),
        }
    }
}

async fn read_kind<T: DeserializeOwned + Kept>(
    store: &dyn Store,
    kind: Kind,
    revision: u64,
) -> Result<BTreeMap<String, Versioned<T>>, StoreError> {
    let mut out = BTreeMap::new();
    for document in store.list(kind).await? {
        match serde_json::from_slice::<T>(&document.body) {
            Ok(mut doc) => {
                doc.shrink();
                out.insert(
                    document.key,
                    Versioned {
                        version: document.version,
                        revision,
                        doc: Arc::new(doc),
                    },
                );
            }
            Err(error) => {
                tracing::error!(%kind, key = document.key, %error, "stored document does not parse; skipped")
            }
        }
    }
    Ok(out)
}

fn apply_entry<T: DeserializeOwned + Kept>(
    map: &mut BTreeMap<String, Versioned<T>>,
    entry: &ChangeEntry,
    revision: u64,
) {
    match entry.body.as_deref() {
        None => {
            map.remove(&entry.key);
        }
        Some(body) => match serde_json::from_slice::<T>(body) {
            Ok(mut doc) => {
                doc.shrink();
                map.insert(
                    entry.key.clone(),
                    Versioned {
                        version: entry.version,
                        revision,
                        doc: Arc::new(doc),
                    },
                );
            }
            Err(error) => {
                tracing::error!(kind = %entry.kind, key = entry.key, %error, "changed document does not parse; skipped");
            }
        },
    }
}

/// A document the catalog keeps for the life of the process: deserializing leaves spare
/// capacity in its vectors (they grow by doubling), which with 10 000 flags is megabytes.
trait Kept {
    fn shrink(&mut self) {}
}

impl Kept for Flag {
    fn shrink(&mut self) {
        self.shrink_to_fit();
    }
}

impl Kept for Segment {
    fn shrink(&mut self) {
        self.shrink_to_fit();
    }
}

impl Kept for Environment {}

impl Kept for TokenRecord {}
