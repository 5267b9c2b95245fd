//! A whole embedded store out (one read transaction: one consistent state) and into an
//! empty one (one write transaction, fsynced), for `rollgate store copy`.

use std::sync::Arc;

use redb::{Database, Durability, ReadableTable, ReadableTableMetadata};

use super::backend;
use super::tables::{AUDIT, CHANGES, DOCUMENTS, META, REVISION};
use super::write::record_audit;
use crate::infra::store::{AuditEvent, Document, Dump, Kind, StoreError};

pub(super) fn dump(db: &Database) -> Result<Dump, StoreError> {
    let txn = db.begin_read().map_err(backend)?;
    let revision = txn
        .open_table(META)
        .map_err(backend)?
        .get(REVISION)
        .map_err(backend)?
        .map_or(0, |v| v.value());
    let mut documents = Vec::new();
    for row in txn
        .open_table(DOCUMENTS)
        .map_err(backend)?
        .iter()
        .map_err(backend)?
    {
        let (key, value) = row.map_err(backend)?;
        let (kind, key) = key.value();
        let kind = Kind::parse(kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown kind {kind:?}").into()))?;
        let (version, revision, body) = value.value();
        documents.push(Document {
            kind,
            key: key.to_owned(),
            version,
            revision,
            body: Arc::from(body),
        });
    }
    let mut audit = Vec::new();
    for row in txn
        .open_table(AUDIT)
        .map_err(backend)?
        .iter()
        .map_err(backend)?
    {
        let (_, json) = row.map_err(backend)?;
        audit.push(serde_json::from_slice::<AuditEvent>(json.value()).map_err(backend)?);
    }
    Ok(Dump {
        revision,
        documents,
        audit,
    })
}

pub(super) fn restore(db: &Database, dump: &Dump) -> Result<(), StoreError> {
    let mut txn = db.begin_write().map_err(backend)?;
    txn.set_durability(Durability::Immediate);
    {
        let mut meta = txn.open_table(META).map_err(backend)?;
        let found = meta
            .get(REVISION)
            .map_err(backend)?
            .map_or(0, |v| v.value());
        let mut documents = txn.open_table(DOCUMENTS).map_err(backend)?;
        let changes = txn.open_table(CHANGES).map_err(backend)?;
        if found != 0
            || !documents.is_empty().map_err(backend)?
            || !changes.is_empty().map_err(backend)?
        {
            return Err(StoreError::Stale { expected: 0, found });
        }
        for document in &dump.documents {
            documents
                .insert(
                    (document.kind.as_str(), document.key.as_str()),
                    (document.version, document.revision, &*document.body),
                )
                .map_err(backend)?;
        }
        for commit in dump.audit.chunk_by(|a, b| a.revision == b.revision) {
            record_audit(&txn, commit)?;
        }
        meta.insert(REVISION, dump.revision).map_err(backend)?;
    }
    txn.commit().map_err(backend)
}
