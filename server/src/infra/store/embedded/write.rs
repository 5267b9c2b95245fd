//! One commit applied in one redb write transaction: expectations checked, documents
//! written, the change logged (and old changes pruned), the audit trail recorded and the
//! revision advanced — all committed together with an fsync, or not at all.

use std::sync::Arc;

use redb::{Database, Durability, ReadableTable, Table, WriteTransaction};

use super::backend;
use super::tables::{AUDIT, AUDIT_BY_DOCUMENT, AUDIT_BY_KIND, CHANGES, DOCUMENTS, META, REVISION};
use crate::infra::store::{AuditEvent, Change, ChangeEntry, Commit, Kind, StoreError, rules};

type Documents<'txn> = Table<'txn, (&'static str, &'static str), (u64, u64, &'static [u8])>;

/// Applies `commit` (already [`rules::prepare`]d) durably and returns its change. On any
/// error the transaction is dropped, which aborts it: nothing is written.
pub(super) fn apply(db: &Database, commit: Commit, retention: u64) -> Result<Change, StoreError> {
    let mut txn = db.begin_write().map_err(backend)?;
    txn.set_durability(Durability::Immediate);
    let change = write_all(&txn, commit, retention)?;
    txn.commit().map_err(backend)?;
    Ok(change)
}

fn write_all(txn: &WriteTransaction, commit: Commit, retention: u64) -> Result<Change, StoreError> {
    let mut documents = txn.open_table(DOCUMENTS).map_err(backend)?;
    let mut meta = txn.open_table(META).map_err(backend)?;
    let revision = meta
        .get(REVISION)
        .map_err(backend)?
        .map_or(0, |v| v.value())
        + 1;
    rules::check_revision(commit.expect_revision, revision - 1)?;

    for check in &commit.checks {
        let found = current(&documents, check.kind, &check.key, false)?.map(|(v, _)| v);
        rules::check(check.kind, &check.key, check.expect, found)?;
    }

    let mut entries = Vec::with_capacity(commit.writes.len());
    let mut audit = Vec::new();
    for write in commit.writes {
        let before = current(&documents, write.kind, &write.key, commit.audited)?;
        let found = before.as_ref().map(|(version, _)| *version);
        rules::check(write.kind, &write.key, write.expect, found)?;
        let key = (write.kind.as_str(), write.key.as_str());
        let entry = match (write.body, found) {
            // Deleting what is not there changes nothing (see `Commit`).
            (None, None) => continue,
            (None, Some(version)) => {
                documents.remove(key).map_err(backend)?;
                ChangeEntry {
                    kind: write.kind,
                    key: write.key,
                    version,
                    body: None,
                }
            }
            (Some(body), found) => {
                let version = found.map_or(1, |v| v + 1);
                documents
                    .insert(key, (version, revision, body.as_slice()))
                    .map_err(backend)?;
                ChangeEntry {
                    kind: write.kind,
                    key: write.key,
                    version,
                    body: Some(Arc::from(body)),
                }
            }
        };
        if commit.audited {
            let after = entry.body.as_deref().map(rules::parse_body).transpose()?;
            audit.push(AuditEvent {
                revision,
                actor: commit.actor.clone(),
                action: commit.action.clone(),
                at: commit.at,
                kind: entry.kind,
                key: entry.key.clone(),
                before: before.and_then(|(_, body)| body),
                after,
            });
        }
        entries.push(entry);
    }

    record_audit(txn, &audit)?;
    let change = Change {
        revision,
        actor: commit.actor,
        action: commit.action,
        at: commit.at,
        entries,
    };
    let mut changes = txn.open_table(CHANGES).map_err(backend)?;
    let logged = serde_json::to_vec(&change).map_err(backend)?;
    changes
        .insert(revision, logged.as_slice())
        .map_err(backend)?;
    let cutoff = revision.saturating_sub(retention);
    changes
        .retain_in(..=cutoff, |_, _| false)
        .map_err(backend)?;
    meta.insert(REVISION, revision).map_err(backend)?;
    Ok(change)
}

/// The version under `(kind, key)`, with its body as JSON when `with_body` (for the
/// audit trail's "before").
fn current(
    documents: &Documents<'_>,
    kind: Kind,
    key: &str,
    with_body: bool,
) -> Result<Option<(u64, Option<serde_json::Value>)>, StoreError> {
    let Some(row) = documents.get((kind.as_str(), key)).map_err(backend)? else {
        return Ok(None);
    };
    let (version, _, body) = row.value();
    let body = if with_body {
        Some(rules::parse_body(body)?)
    } else {
        None
    };
    Ok(Some((version, body)))
}

/// Records the audit events of one commit (all of one revision), in order.
pub(super) fn record_audit(
    txn: &WriteTransaction,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut audit = txn.open_table(AUDIT).map_err(backend)?;
    let mut by_kind = txn.open_table(AUDIT_BY_KIND).map_err(backend)?;
    let mut by_document = txn.open_table(AUDIT_BY_DOCUMENT).map_err(backend)?;
    for (index, event) in (0u32..).zip(events) {
        let json = serde_json::to_vec(event).map_err(backend)?;
        let kind = event.kind.as_str();
        audit
            .insert((event.revision, index), json.as_slice())
            .map_err(backend)?;
        by_kind
            .insert((kind, event.revision, index), ())
            .map_err(backend)?;
        by_document
            .insert((kind, event.key.as_str(), event.revision, index), ())
            .map_err(backend)?;
    }
    Ok(())
}
