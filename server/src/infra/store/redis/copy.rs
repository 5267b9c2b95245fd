//! A whole Redis store out and into an empty one, for `rollgate store copy`. Reading
//! takes several commands, so the revision is read before and after: a store written
//! meanwhile is refused (stop the writers and copy again). Filling is one `MULTI`
//! transaction after a check that nothing is there.

use std::sync::Arc;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::keys::{Keys, parse_document, position};
use super::read::Read;
use crate::infra::store::{AuditEvent, Document, Dump, Kind, StoreError};

pub(super) async fn dump(mut connection: ConnectionManager, keys: Keys) -> Read<Dump> {
    let before: Option<u64> = connection.get(keys.revision()).await?;
    let mut documents = Vec::new();
    for kind in Kind::ALL {
        let stored: Vec<(String, Vec<u8>)> = connection.hgetall(keys.documents(kind)).await?;
        for (key, value) in stored {
            let Some((version, revision, body)) = parse_document(&value) else {
                return Ok(Err(damaged(format!("{kind} {key:?}"))));
            };
            documents.push(Document {
                kind,
                key,
                version,
                revision,
                body: Arc::from(body),
            });
        }
    }
    let mut events: Vec<(String, Vec<u8>)> = connection.hgetall(keys.audit()).await?;
    events.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut audit = Vec::with_capacity(events.len());
    for (position, json) in events {
        match serde_json::from_slice::<AuditEvent>(&json) {
            Ok(event) => audit.push(event),
            Err(error) => return Ok(Err(damaged(format!("audit event {position}: {error}")))),
        }
    }
    let after: Option<u64> = connection.get(keys.revision()).await?;
    if before != after {
        return Ok(Err(StoreError::Backend(
            "the store was written while it was read: stop every writer and copy again".into(),
        )));
    }
    Ok(Ok(Dump {
        revision: after.unwrap_or(0),
        documents,
        audit,
    }))
}

pub(super) async fn restore(
    mut connection: ConnectionManager,
    keys: Keys,
    dump: Arc<Dump>,
) -> Read<()> {
    let found: Option<u64> = connection.get(keys.revision()).await?;
    let mut occupied: bool = connection.exists(keys.changes()).await?;
    for kind in Kind::ALL {
        occupied |= connection.exists::<_, bool>(keys.documents(kind)).await?;
    }
    if found.unwrap_or(0) != 0 || occupied {
        return Ok(Err(StoreError::Stale {
            expected: 0,
            found: found.unwrap_or(0),
        }));
    }
    let mut fill = redis::pipe();
    fill.atomic();
    for document in &dump.documents {
        let stored = [
            format!("{}:{}:", document.version, document.revision).into_bytes(),
            document.body.to_vec(),
        ]
        .concat();
        fill.hset(keys.documents(document.kind), &document.key, stored)
            .ignore();
    }
    for commit in dump.audit.chunk_by(|a, b| a.revision == b.revision) {
        for (index, event) in (0u32..).zip(commit) {
            let at = position(event.revision, index);
            let json = match serde_json::to_vec(event) {
                Ok(json) => json,
                Err(error) => return Ok(Err(StoreError::Backend(Box::new(error)))),
            };
            fill.hset(keys.audit(), &at, json).ignore();
            fill.zadd(keys.audit_all(), &at, 0).ignore();
            fill.zadd(keys.audit_of_kind(event.kind), &at, 0).ignore();
            fill.zadd(keys.audit_of_document(event.kind, &event.key), &at, 0)
                .ignore();
        }
    }
    fill.set(keys.revision(), dump.revision).ignore();
    let () = fill.query_async(&mut connection).await?;
    Ok(Ok(()))
}

fn damaged(what: String) -> StoreError {
    StoreError::Backend(format!("damaged data in Redis: {what}").into())
}

/// Reads back what `restore` wrote, in the shape the contract suite compares.
#[cfg(test)]
mod tests {
    #[test]
    fn stored_documents_are_version_revision_body() {
        let stored = [b"3:17:".to_vec(), b"{}".to_vec()].concat();
        assert_eq!(super::parse_document(&stored), Some((3, 17, &b"{}"[..])));
    }
}
