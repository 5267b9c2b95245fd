//! Reads of the Redis store. Each is one command (two for the audit trail: the index,
//! then the events), so each sees one consistent state of the keys it reads.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisResult, Value};

use super::keys::{Keys, parse_document, position, revision_of_entry};
use crate::infra::store::{
    AUDIT_LIMIT_MAX, AuditEvent, AuditQuery, Change, ChangesSince, Document, Kind, StoreError,
};

/// What a read returns: Redis's answer, or a document Redis holds that does not read.
pub(super) type Read<T> = RedisResult<Result<T, StoreError>>;

fn damaged(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("damaged data in Redis: {what}").into())
}

fn document(kind: Kind, key: String, stored: &[u8]) -> Result<Document, StoreError> {
    let (version, revision, body) =
        parse_document(stored).ok_or_else(|| damaged(format!("{kind} {key:?}")))?;
    Ok(Document {
        kind,
        key,
        version,
        revision,
        body: Arc::from(body),
    })
}

pub(super) async fn get(
    mut connection: ConnectionManager,
    keys: Keys,
    kind: Kind,
    key: String,
) -> Read<Option<Document>> {
    let stored: Option<Vec<u8>> = connection.hget(keys.documents(kind), &key).await?;
    Ok(stored.map(|s| document(kind, key, &s)).transpose())
}

pub(super) async fn list(
    mut connection: ConnectionManager,
    keys: Keys,
    kind: Kind,
) -> Read<Vec<Document>> {
    let stored: Vec<(String, Vec<u8>)> = connection.hgetall(keys.documents(kind)).await?;
    let mut documents: Vec<Document> = match stored
        .into_iter()
        .map(|(key, s)| document(kind, key, &s))
        .collect()
    {
        Ok(documents) => documents,
        Err(error) => return Ok(Err(error)),
    };
    documents.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    Ok(Ok(documents))
}

pub(super) async fn revision(mut connection: ConnectionManager, keys: Keys) -> Read<u64> {
    let revision: Option<u64> = connection.get(keys.revision()).await?;
    Ok(Ok(revision.unwrap_or(0)))
}

/// A stream entry: its id and its fields.
type Entry = (String, Vec<(String, Vec<u8>)>);

/// Every change after `after`: the stream's entries from `after + 1` on. The stream
/// always keeps the last change, so an entry past `after + 1` as the first one found
/// means the ones in between were trimmed.
pub(super) async fn changes_since(
    mut connection: ConnectionManager,
    keys: Keys,
    after: u64,
    limit: usize,
) -> Read<ChangesSince> {
    let from = after.saturating_add(1);
    let entries: Vec<Entry> = redis::cmd("XRANGE")
        .arg(keys.changes())
        .arg(format!("{from}-0"))
        .arg("+")
        .arg("COUNT")
        .arg(limit.max(1))
        .query_async(&mut connection)
        .await?;
    let mut changes = Vec::with_capacity(entries.len());
    for (id, fields) in entries.into_iter().take(limit) {
        let Some(revision) = revision_of_entry(&id) else {
            return Ok(Err(damaged(format!("change feed entry {id}"))));
        };
        if changes.is_empty() && revision > from {
            return Ok(Ok(ChangesSince::TooOld { oldest: revision }));
        }
        let Some((_, json)) = fields.iter().find(|(name, _)| name == "change") else {
            return Ok(Err(damaged(format!("change feed entry {id}"))));
        };
        match serde_json::from_slice::<Change>(json) {
            Ok(change) => changes.push(Arc::new(change)),
            Err(error) => return Ok(Err(damaged(format!("change {id}: {error}")))),
        }
    }
    if changes.is_empty() {
        // The stream keeps the last change, unless the store was filled by `restore`,
        // which keeps no log: then a reader behind the revision reloads.
        let current: Option<u64> = connection.get(keys.revision()).await?;
        let current = current.unwrap_or(0);
        if after < current {
            return Ok(Ok(ChangesSince::TooOld {
                oldest: current + 1,
            }));
        }
    }
    Ok(Ok(ChangesSince::Changes(changes)))
}

/// Audit events, newest first: positions from the index that fits the query, then the
/// events. Without a kind but with a key, the indexes of that key in every kind are
/// merged.
pub(super) async fn audit(
    mut connection: ConnectionManager,
    keys: Keys,
    query: AuditQuery,
) -> Read<Vec<AuditEvent>> {
    let limit = match query.limit {
        0 => AUDIT_LIMIT_MAX,
        n => n.min(AUDIT_LIMIT_MAX),
    };
    let max = match query.before_revision {
        None => "+".to_owned(),
        Some(0) => return Ok(Ok(Vec::new())),
        // Every position of revision `before` starts with this text and is longer.
        Some(before) => format!("({}", &position(before, 0)[..20]),
    };
    let indexes = match (query.kind, query.key.as_deref()) {
        (Some(kind), Some(key)) => vec![keys.audit_of_document(kind, key)],
        (Some(kind), None) => vec![keys.audit_of_kind(kind)],
        (None, Some(key)) => Kind::ALL
            .iter()
            .map(|kind| keys.audit_of_document(*kind, key))
            .collect(),
        (None, None) => vec![keys.audit_all()],
    };
    let mut positions: Vec<String> = Vec::new();
    for index in indexes {
        let found: Vec<String> = redis::cmd("ZREVRANGEBYLEX")
            .arg(index)
            .arg(&max)
            .arg("-")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut connection)
            .await?;
        positions.extend(found);
    }
    positions.sort_unstable_by(|a, b| b.cmp(a));
    positions.truncate(limit);
    if positions.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let events: Vec<Value> = redis::cmd("HMGET")
        .arg(keys.audit())
        .arg(&positions)
        .query_async(&mut connection)
        .await?;
    let mut found = Vec::with_capacity(events.len());
    for (position, event) in positions.iter().zip(events) {
        let Value::BulkString(json) = event else {
            return Ok(Err(damaged(format!(
                "audit index points to missing event {position}"
            ))));
        };
        match serde_json::from_slice(&json) {
            Ok(event) => found.push(event),
            Err(error) => return Ok(Err(damaged(format!("audit event {position}: {error}")))),
        }
    }
    Ok(Ok(found))
}
