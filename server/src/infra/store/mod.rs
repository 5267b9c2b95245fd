//! The store: every document Rollgate keeps, behind one trait. The embedded store
//! (redb) implements it today; a shared store for several replicas is to implement it
//! too.
//!
//! The model is small on purpose, so that any backend can give the same guarantees:
//! - documents are JSON bodies addressed by `(kind, key)`, each with a `version` that
//!   starts at 1 and grows by one on every write;
//! - a [`Commit`] applies several writes atomically, each guarded by an expectation on
//!   the current version (compare-and-set), plus checks on documents it does not write;
//! - every commit gets the next global *revision* and produces exactly one [`Change`] on
//!   the change feed, in revision order, with the audit trail of what it changed;
//! - a reader that remembers the last revision it saw can ask for everything after it.
//!
//! Backends are tested by one contract suite (`server/tests/store_contract/`).

pub mod embedded;
pub mod redis;
mod rules;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};

/// What kind of document; each kind is its own key space.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An environment.
    Environment,
    /// A flag with all its per-environment configurations.
    Flag,
    /// A segment.
    Segment,
    /// An API token (SDK key or admin token), stored hashed.
    Token,
    /// A release: plan, state and timeline.
    Release,
    /// A validation report, written once when a release ends.
    Report,
    /// A webhook subscription.
    Webhook,
    /// A record of one webhook delivery attempt.
    Delivery,
    /// A lease (e.g. the controller's), for fencing writes across replicas.
    Lease,
    /// Server-internal settings (e.g. whether the store was seeded).
    Meta,
    /// A release template.
    Template,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 11] = [
        Kind::Environment,
        Kind::Flag,
        Kind::Segment,
        Kind::Token,
        Kind::Release,
        Kind::Report,
        Kind::Webhook,
        Kind::Delivery,
        Kind::Lease,
        Kind::Meta,
        Kind::Template,
    ];

    /// The kind's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Environment => "environment",
            Kind::Flag => "flag",
            Kind::Segment => "segment",
            Kind::Token => "token",
            Kind::Release => "release",
            Kind::Report => "report",
            Kind::Webhook => "webhook",
            Kind::Delivery => "delivery",
            Kind::Lease => "lease",
            Kind::Meta => "meta",
            Kind::Template => "template",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Its kind.
    pub kind: Kind,
    /// Its key within the kind.
    pub key: String,
    /// 1 on creation, +1 on every write.
    pub version: u64,
    /// The revision of the commit that last wrote it.
    pub revision: u64,
    /// The JSON body.
    pub body: Arc<[u8]>,
}

/// What a write expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    /// Anything, present or not.
    Any,
    /// No document under this key.
    Absent,
    /// A document at exactly this version.
    Version(u64),
    /// A document, at any version.
    Present,
}

/// One write of a commit.
#[derive(Clone, Debug)]
pub struct Write {
    /// The document's kind.
    pub kind: Kind,
    /// The document's key.
    pub key: String,
    /// The precondition.
    pub expect: Expect,
    /// `Some(body)` puts the body; `None` deletes the document.
    pub body: Option<Vec<u8>>,
}

impl Write {
    /// Puts `body` under `(kind, key)` if `expect` holds.
    pub fn put(kind: Kind, key: impl Into<String>, expect: Expect, body: Vec<u8>) -> Write {
        Write {
            kind,
            key: key.into(),
            expect,
            body: Some(body),
        }
    }

    /// Deletes `(kind, key)` if `expect` holds.
    pub fn delete(kind: Kind, key: impl Into<String>, expect: Expect) -> Write {
        Write {
            kind,
            key: key.into(),
            expect,
            body: None,
        }
    }
}

/// A condition on a document the commit does not write (e.g. "the segment this flag
/// uses still exists", or "I still hold the lease at version 7").
#[derive(Clone, Debug)]
pub struct Check {
    /// The document's kind.
    pub kind: Kind,
    /// The document's key.
    pub key: String,
    /// What must hold.
    pub expect: Expect,
}

/// A set of writes applied atomically, or not at all.
///
/// The rules every backend follows:
/// - a commit has at least one write ([`StoreError::EmptyCommit`] otherwise) and every
///   body is JSON ([`StoreError::InvalidBody`] otherwise); whitespace around a body is
///   not kept;
/// - the checks are evaluated first, against the state before the commit; then the
///   writes, in order, each against the state left by the ones before it (so two writes
///   to one document in a commit apply one after the other, and each gives an entry);
/// - the first expectation that fails aborts the commit with [`StoreError::Conflict`]
///   and nothing is written;
/// - deleting a document that is absent (allowed by [`Expect::Any`] or
///   [`Expect::Absent`]) changes nothing and gives no entry and no audit event; the
///   commit still takes a revision and publishes its change, even with no entries.
#[derive(Clone, Debug)]
pub struct Commit {
    /// Who: the token name or `system:<component>`.
    pub actor: String,
    /// What, in words of the product (`flag.update`, `release.promote`, …).
    pub action: String,
    /// When (injected, so tests control it).
    pub at: OffsetDateTime,
    /// The writes.
    pub writes: Vec<Write>,
    /// Preconditions on other documents.
    pub checks: Vec<Check>,
    /// Whether the writes appear in the audit log (leases and delivery records do not).
    pub audited: bool,
    /// Commit only if the store's revision is still this one: for writes whose validity
    /// depends on many documents (deleting a segment that no flag uses).
    pub expect_revision: Option<u64>,
}

/// One document as changed by a commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEntry {
    /// The document's kind.
    pub kind: Kind,
    /// The document's key.
    pub key: String,
    /// The version written (for a delete: the version that was deleted).
    pub version: u64,
    /// The new body; `None` when deleted.
    #[serde(with = "body_json")]
    pub body: Option<Arc<[u8]>>,
}

/// One committed change: the event on the change feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The global revision of this commit.
    pub revision: u64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The documents changed.
    pub entries: Vec<ChangeEntry>,
}

/// One audited document change: who, when, what, before → after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// The commit's revision.
    pub revision: u64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The document's kind.
    pub kind: Kind,
    /// The document's key.
    pub key: String,
    /// The body before (`None` when created).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The body after (`None` when deleted).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// Which audit events to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this key (with `kind`).
    pub key: Option<String>,
    /// Only events with a revision below this one (for paging backwards).
    pub before_revision: Option<u64>,
    /// At most this many; 0, or anything above [`AUDIT_LIMIT_MAX`], means
    /// [`AUDIT_LIMIT_MAX`].
    pub limit: usize,
}

/// The most audit events one [`Store::audit`] call returns.
pub const AUDIT_LIMIT_MAX: usize = 1000;

/// The answer to [`Store::changes_since`].
#[derive(Clone, Debug)]
pub enum ChangesSince {
    /// Every change after the asked revision, in order (possibly empty).
    Changes(Vec<Arc<Change>>),
    /// The feed no longer holds all changes after the asked revision; reload everything.
    TooOld {
        /// The oldest revision still held.
        oldest: u64,
    },
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A precondition did not hold; nothing was written.
    #[error("{kind} {key:?}: expected {expected:?}, found {}", found.map_or("no document".to_owned(), |v| format!("version {v}")))]
    Conflict {
        /// The document's kind.
        kind: Kind,
        /// The document's key.
        key: String,
        /// What the commit expected.
        expected: Expect,
        /// The version found (`None`: absent).
        found: Option<u64>,
    },
    /// `Commit::expect_revision` did not hold: something else was committed first.
    #[error("the store moved on: expected revision {expected}, found {found}")]
    Stale {
        /// The revision the commit expected.
        expected: u64,
        /// The current revision.
        found: u64,
    },
    /// The commit has no writes; nothing was written and no revision was taken.
    #[error("a commit needs at least one write")]
    EmptyCommit,
    /// A body is not JSON; nothing was written.
    #[error("{kind} {key:?}: the body is not JSON")]
    InvalidBody {
        /// The document's kind.
        kind: Kind,
        /// The document's key.
        key: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The backend cannot be reached (e.g. Redis down); retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend failed.
    #[error("store failure: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A whole store, to copy it into another: every document with its version and the
/// revision that wrote it, the audit trail oldest first, and the store's revision. The
/// change log is not part of it (a reader behind the revision reloads).
#[derive(Clone, Debug, Default)]
pub struct Dump {
    /// The store's revision.
    pub revision: u64,
    /// Every document, of every kind.
    pub documents: Vec<Document>,
    /// The audit trail, oldest first (within a commit, in its order).
    pub audit: Vec<AuditEvent>,
}

/// How current this process's view of the store is: what a replica reports about the
/// age of what it serves.
#[derive(Clone, Copy, Debug)]
pub struct FeedStatus {
    /// The newest revision this process knows the store has.
    pub head: u64,
    /// When the change feed was last heard from (`None`: not yet). An in-process store
    /// is always current.
    pub last_contact: Option<Instant>,
    /// Whether the store answered the last call made to it.
    pub available: bool,
}

/// A place to keep documents: the embedded store or Redis.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The document, if present.
    async fn get(&self, kind: Kind, key: &str) -> Result<Option<Document>, StoreError>;

    /// Every document of a kind, ordered by key.
    async fn list(&self, kind: Kind) -> Result<Vec<Document>, StoreError>;

    /// Applies a commit atomically and durably: when this returns `Ok`, the change
    /// survives a crash. Returns the change as published on the feed. See [`Commit`]
    /// for the rules.
    async fn commit(&self, commit: Commit) -> Result<Arc<Change>, StoreError>;

    /// The revision of the last commit (0 for an empty store).
    async fn revision(&self) -> Result<u64, StoreError>;

    /// Changes with a revision greater than `after`, oldest first, at most `limit`;
    /// [`ChangesSince::TooOld`] when the change right after `after` was already pruned.
    async fn changes_since(&self, after: u64, limit: usize) -> Result<ChangesSince, StoreError>;

    /// Audit events, newest first (within one commit, its last write first).
    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;

    /// The live change feed: every change committed after the call, in revision order.
    /// A receiver that lags gets `RecvError::Lagged` and must catch up with
    /// [`Store::changes_since`].
    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>>;

    /// Everything the store holds but its change log, as of one revision.
    async fn dump(&self) -> Result<Dump, StoreError>;

    /// Fills an empty store with `dump`: documents with their versions and revisions,
    /// the audit trail and the revision, all at once. A store that is not empty is left
    /// as it is ([`StoreError::Stale`] with the revision found).
    async fn restore(&self, dump: &Dump) -> Result<(), StoreError>;

    /// How current this process's view of the store is.
    fn feed_status(&self) -> FeedStatus;

    /// Keeps the live feed flowing until `shutdown` flips: a shared store reads the
    /// changes every process commits here (retrying while it is out of reach); the
    /// embedded store publishes as it commits and only waits.
    async fn run_feed(&self, shutdown: watch::Receiver<bool>);
}

/// Bodies travel as JSON values inside a change, not as byte arrays.
mod body_json {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(
        body: &Option<Arc<[u8]>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match body {
            None => serializer.serialize_none(),
            Some(bytes) => {
                let text = std::str::from_utf8(bytes).map_err(serde::ser::Error::custom)?;
                let raw =
                    RawValue::from_string(text.to_owned()).map_err(serde::ser::Error::custom)?;
                raw.serialize(serializer)
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<[u8]>>, D::Error> {
        let raw: Option<Box<RawValue>> = Option::deserialize(deserializer)?;
        Ok(raw.map(|raw| Arc::from(raw.get().as_bytes())))
    }
}
