//! The redb tables of the embedded store and how rows are encoded in them.
//!
//! Kinds are stored by name (`Kind::as_str`), so a table reads the same whatever order
//! the enum's variants are in.

use redb::TableDefinition;

/// Documents: `(kind, key)` → `(version, revision, body)`.
pub(super) const DOCUMENTS: TableDefinition<(&str, &str), (u64, u64, &[u8])> =
    TableDefinition::new("documents");

/// Store-wide values, such as [`REVISION`].
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The [`META`] row holding the revision of the last commit.
pub(super) const REVISION: &str = "revision";

/// The change log: revision → the `Change` as JSON. Pruned to the retention.
pub(super) const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");

/// The audit log: `(revision, entry index)` → the `AuditEvent` as JSON. Never pruned.
pub(super) const AUDIT: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("audit");

/// Audit events of one kind, newest last: `(kind, revision, index)`.
pub(super) const AUDIT_BY_KIND: TableDefinition<(&str, u64, u32), ()> =
    TableDefinition::new("audit_by_kind");

/// Audit events of one document, newest last: `(kind, key, revision, index)`.
pub(super) const AUDIT_BY_DOCUMENT: TableDefinition<(&str, &str, u64, u32), ()> =
    TableDefinition::new("audit_by_document");
