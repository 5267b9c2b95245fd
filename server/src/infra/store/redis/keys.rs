//! Where the Redis store keeps what: every key starts with `{<prefix>}:`, so all of them
//! share one hash tag and land in one slot — the commit script may touch any of them
//! atomically, on a single server, on Redis Cluster and on managed Redis alike.
//!
//! - `revision` — the global revision, a counter;
//! - `doc:<kind>` — a hash per kind: key → `<version>:<revision>:<body>`;
//! - `changes` — the change feed, a stream whose entry ids are `<revision>-0`, trimmed
//!   to the retention;
//! - `audit` — a hash: position → audit event (JSON), where a position is
//!   `<revision, 20 digits>:<index in the commit, 10 digits>`, so that positions sort
//!   as text in the order of events;
//! - `audit:all`, `audit:kind:<kind>`, `audit:doc:<kind>:<key>` — sorted sets of
//!   positions (all scores 0, read by lexicographic range), newest last.

use crate::infra::store::Kind;

/// The key names of one store.
#[derive(Clone, Debug)]
pub(super) struct Keys {
    /// `{<prefix>}:`.
    base: String,
}

impl Keys {
    /// Keys under the hash tag `{prefix}`.
    pub(super) fn new(prefix: &str) -> Keys {
        Keys {
            base: format!("{{{prefix}}}:"),
        }
    }

    pub(super) fn revision(&self) -> String {
        format!("{}revision", self.base)
    }

    pub(super) fn documents(&self, kind: Kind) -> String {
        format!("{}doc:{kind}", self.base)
    }

    pub(super) fn changes(&self) -> String {
        format!("{}changes", self.base)
    }

    pub(super) fn audit(&self) -> String {
        format!("{}audit", self.base)
    }

    pub(super) fn audit_all(&self) -> String {
        format!("{}audit:all", self.base)
    }

    pub(super) fn audit_of_kind(&self, kind: Kind) -> String {
        format!("{}audit:kind:{kind}", self.base)
    }

    pub(super) fn audit_of_document(&self, kind: Kind, key: &str) -> String {
        format!("{}audit:doc:{kind}:{key}", self.base)
    }
}

/// An audit position: revision and index, as text that sorts like the pair.
pub(super) fn position(revision: u64, index: u32) -> String {
    format!("{revision:020}:{index:010}")
}

/// A stored document: `<version>:<revision>:<body>`.
pub(super) fn parse_document(stored: &[u8]) -> Option<(u64, u64, &[u8])> {
    let mut parts = stored.splitn(3, |b| *b == b':');
    let version = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let revision = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    Some((version, revision, parts.next()?))
}

/// A stream entry id `<revision>-0` as the revision.
pub(super) fn revision_of_entry(id: &str) -> Option<u64> {
    id.split_once('-')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_carries_the_one_hash_tag() {
        let keys = Keys::new("rollgate");
        for key in [
            keys.revision(),
            keys.documents(Kind::Flag),
            keys.changes(),
            keys.audit(),
            keys.audit_all(),
            keys.audit_of_kind(Kind::Segment),
            keys.audit_of_document(Kind::Flag, "a:b}c"),
        ] {
            assert!(key.starts_with("{rollgate}:"), "{key}");
        }
    }

    #[test]
    fn positions_sort_as_text_like_the_pairs_they_encode() {
        let pairs = [(1, 0), (1, 9), (2, 0), (10, 3), (10, 11), (100, 0)];
        let texts: Vec<String> = pairs.iter().map(|(r, i)| position(*r, *i)).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
    }

    #[test]
    fn documents_and_entry_ids_read_back() {
        assert_eq!(
            parse_document(b"3:17:{\"a\":\"x:y\"}"),
            Some((3, 17, &b"{\"a\":\"x:y\"}"[..]))
        );
        assert_eq!(parse_document(b"nonsense"), None);
        assert_eq!(revision_of_entry("42-0"), Some(42));
        assert_eq!(revision_of_entry("42"), None);
    }
}
