//! Reads of the embedded store, each in one redb read transaction: a consistent snapshot
//! that never waits for, nor blocks, the writer.

use std::sync::Arc;

use redb::{Database, Key, Range, ReadTransaction, ReadableTable};

use super::backend;
use super::tables::{AUDIT, AUDIT_BY_DOCUMENT, AUDIT_BY_KIND, CHANGES, DOCUMENTS, META, REVISION};
use crate::infra::store::{
    AUDIT_LIMIT_MAX, AuditEvent, AuditQuery, Change, ChangesSince, Document, Kind, StoreError,
};

fn begin(db: &Database) -> Result<ReadTransaction, StoreError> {
    db.begin_read().map_err(backend)
}

pub(super) fn get(db: &Database, kind: Kind, key: &str) -> Result<Option<Document>, StoreError> {
    let documents = begin(db)?.open_table(DOCUMENTS).map_err(backend)?;
    let row = documents.get((kind.as_str(), key)).map_err(backend)?;
    Ok(row.map(|row| {
        let (version, revision, body) = row.value();
        Document {
            kind,
            key: key.to_owned(),
            version,
            revision,
            body: Arc::from(body),
        }
    }))
}

pub(super) fn list(db: &Database, kind: Kind) -> Result<Vec<Document>, StoreError> {
    let documents = begin(db)?.open_table(DOCUMENTS).map_err(backend)?;
    let mut found = Vec::new();
    for row in documents.range((kind.as_str(), "")..).map_err(backend)? {
        let (key, value) = row.map_err(backend)?;
        let (row_kind, key) = key.value();
        if row_kind != kind.as_str() {
            break;
        }
        let (version, revision, body) = value.value();
        found.push(Document {
            kind,
            key: key.to_owned(),
            version,
            revision,
            body: Arc::from(body),
        });
    }
    Ok(found)
}

pub(super) fn revision(db: &Database) -> Result<u64, StoreError> {
    let meta = begin(db)?.open_table(META).map_err(backend)?;
    Ok(meta
        .get(REVISION)
        .map_err(backend)?
        .map_or(0, |v| v.value()))
}

pub(super) fn changes_since(
    db: &Database,
    after: u64,
    limit: usize,
) -> Result<ChangesSince, StoreError> {
    let txn = begin(db)?;
    let changes = txn.open_table(CHANGES).map_err(backend)?;
    let Some((oldest, _)) = changes.first().map_err(backend)? else {
        // Retention keeps at least the last change, so an empty log means no commit
        // since the store was created — or filled by `restore`, which keeps no log.
        let current = txn
            .open_table(META)
            .map_err(backend)?
            .get(REVISION)
            .map_err(backend)?
            .map_or(0, |v| v.value());
        if after < current {
            return Ok(ChangesSince::TooOld {
                oldest: current + 1,
            });
        }
        return Ok(ChangesSince::Changes(Vec::new()));
    };
    let oldest = oldest.value();
    let from = after.saturating_add(1);
    if from < oldest {
        return Ok(ChangesSince::TooOld { oldest });
    }
    let mut found = Vec::new();
    for row in changes.range(from..).map_err(backend)?.take(limit) {
        let (_, json) = row.map_err(backend)?;
        let change: Change = serde_json::from_slice(json.value()).map_err(backend)?;
        found.push(Arc::new(change));
    }
    Ok(ChangesSince::Changes(found))
}

/// Walks the index that fits the query (one document, one kind, or everything) from
/// the newest event down, and loads each event from the audit log.
pub(super) fn audit(db: &Database, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
    let limit = match query.limit {
        0 => AUDIT_LIMIT_MAX,
        n => n.min(AUDIT_LIMIT_MAX),
    };
    let last = match query.before_revision {
        None => u64::MAX,
        Some(0) => return Ok(Vec::new()),
        Some(before) => before - 1,
    };
    let txn = begin(db)?;
    let audit = txn.open_table(AUDIT).map_err(backend)?;
    let positions: Vec<(u64, u32)> = match (query.kind, query.key.as_deref()) {
        (Some(kind), Some(key)) => {
            let index = txn.open_table(AUDIT_BY_DOCUMENT).map_err(backend)?;
            let kind = kind.as_str();
            let rows = index.range((kind, key, 0, 0)..=(kind, key, last, u32::MAX));
            newest(rows.map_err(backend)?, limit, |(_, _, revision, i)| {
                (revision, i)
            })?
        }
        (Some(kind), None) => {
            let index = txn.open_table(AUDIT_BY_KIND).map_err(backend)?;
            let kind = kind.as_str();
            let rows = index.range((kind, 0, 0)..=(kind, last, u32::MAX));
            newest(rows.map_err(backend)?, limit, |(_, revision, i)| {
                (revision, i)
            })?
        }
        (None, key) => {
            let mut found = Vec::new();
            for row in audit
                .range((0, 0)..=(last, u32::MAX))
                .map_err(backend)?
                .rev()
            {
                let (_, json) = row.map_err(backend)?;
                let event: AuditEvent = serde_json::from_slice(json.value()).map_err(backend)?;
                if key.is_none_or(|key| key == event.key) {
                    found.push(event);
                    if found.len() == limit {
                        break;
                    }
                }
            }
            return Ok(found);
        }
    };
    let mut found = Vec::with_capacity(positions.len());
    for position in positions {
        let json = audit.get(position).map_err(backend)?.ok_or_else(|| {
            StoreError::Backend(format!("audit index points to missing event {position:?}").into())
        })?;
        found.push(serde_json::from_slice(json.value()).map_err(backend)?);
    }
    Ok(found)
}

/// The audit positions `(revision, index)` of the last `limit` rows of an index.
fn newest<K: Key + 'static>(
    rows: Range<'_, K, ()>,
    limit: usize,
    position: impl for<'a> Fn(K::SelfType<'a>) -> (u64, u32),
) -> Result<Vec<(u64, u32)>, StoreError> {
    rows.rev()
        .take(limit)
        .map(|row| row.map(|(key, _)| position(key.value())))
        .collect::<Result<_, _>>()
        .map_err(backend)
}
