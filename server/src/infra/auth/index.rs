//! The in-memory index of tokens, kept current from the change feed, so that checking a
//! token never touches the store.
//!
//! Every OFREP request presents its SDK key, and hashing the secret with SHA-256 to
//! compare it with the stored digest was a visible part of each request's cost. So each
//! indexed token remembers, once a secret has verified against it, a keyed 128-bit
//! SipHash tag of that secret (the key drawn from the OS RNG when the index is made, so
//! the tag is useless outside this process and holds no secret in clear); a presented
//! secret whose tag equals it, compared in constant time, is the verified one. Any other
//! secret takes the full SHA-256 path. The memory lives in the index entry itself: a
//! revoked or replaced token takes it with it, so revocation works on the next request.

use std::hash::Hasher;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use rand::Rng;
use rustc_hash::FxHashMap;
use siphasher::sip128::{Hasher128, SipHasher24};
use subtle::ConstantTimeEq;

use super::Unauthenticated;
use super::token::{TokenRecord, parse_token};
use crate::infra::stream::credential;

/// The id under which `ROLLGATE_ADMIN_TOKEN` is stored: that token is chosen by the
/// operator, so it does not carry our id.
pub(crate) const BOOTSTRAP_ID: &str = "bootstrap";

/// Token records by id, swapped atomically on every change.
#[derive(Debug)]
pub(crate) struct TokenIndex {
    /// By id. Ids are public and chosen by us, so a fast hash does: lookups insert
    /// nothing, whatever id a caller presents.
    records: ArcSwap<FxHashMap<String, Arc<Indexed>>>,
    /// The key of the verified-secret tags.
    tag_key: [u8; 16],
}

impl Default for TokenIndex {
    fn default() -> TokenIndex {
        TokenIndex {
            records: ArcSwap::default(),
            tag_key: rand::rng().random(),
        }
    }
}

/// One token as the index keeps it.
#[derive(Debug)]
struct Indexed {
    record: Arc<TokenRecord>,
    /// The tag of the secret that verified against `digest`, once one has.
    verified: OnceLock<[u8; 16]>,
    /// The key's event-stream credential, once asked for (an HMAC: every bulk
    /// evaluation lists it).
    stream_credential: OnceLock<Option<Arc<str>>>,
}

impl Indexed {
    fn new(record: TokenRecord) -> Indexed {
        Indexed {
            record: Arc::new(record),
            verified: OnceLock::new(),
            stream_credential: OnceLock::new(),
        }
    }

    /// Does `secret` belong to this token? The tag is compared in constant time; a
    /// secret whose tag is not the remembered one takes [`TokenRecord::verify`].
    fn verify(&self, secret: &str, tag_key: &[u8; 16]) -> bool {
        let tag = tag(tag_key, secret);
        if let Some(verified) = self.verified.get()
            && bool::from(verified.ct_eq(&tag))
        {
            return true;
        }
        let matches = self.record.verify(secret);
        if matches {
            // Only one secret hashes to the digest, so a tag once set stays right.
            let _ = self.verified.set(tag);
        }
        matches
    }
}

/// The keyed SipHash-2-4 (128-bit) tag of `secret`.
fn tag(key: &[u8; 16], secret: &str) -> [u8; 16] {
    let mut hasher = SipHasher24::new_with_key(key);
    hasher.write(secret.as_bytes());
    u128::from(hasher.finish128()).to_le_bytes()
}

impl TokenIndex {
    /// Replaces the whole index.
    pub(crate) fn replace(&self, records: impl IntoIterator<Item = TokenRecord>) {
        let map = records
            .into_iter()
            .map(|r| (r.id.clone(), Arc::new(Indexed::new(r))))
            .collect();
        self.records.store(Arc::new(map));
    }

    /// Adds or replaces one record.
    pub(crate) fn upsert(&self, record: TokenRecord) {
        let indexed = Arc::new(Indexed::new(record));
        self.records.rcu(|current| {
            let mut next = FxHashMap::clone(current);
            next.insert(indexed.record.id.clone(), Arc::clone(&indexed));
            next
        });
    }

    /// Removes one record.
    pub(crate) fn remove(&self, id: &str) {
        self.records.rcu(|current| {
            let mut next = FxHashMap::clone(current);
            next.remove(id);
            next
        });
    }

    /// The record with id `id`.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<TokenRecord>> {
        self.records
            .load()
            .get(id)
            .map(|indexed| Arc::clone(&indexed.record))
    }

    /// Resolves the value of an `Authorization` header.
    pub(crate) fn authenticate(
        &self,
        header: Option<&str>,
    ) -> Result<Arc<TokenRecord>, Unauthenticated> {
        let header = header.ok_or(Unauthenticated::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Unauthenticated::NotBearer)?;
        let records = self.records.load();
        let indexed = match parse_token(token) {
            Some((kind, id, secret)) => records
                .get(id)
                .filter(|i| i.record.kind == kind && i.verify(secret, &self.tag_key)),
            None => records
                .get(BOOTSTRAP_ID)
                .filter(|i| i.verify(token, &self.tag_key)),
        };
        let indexed = indexed.ok_or(Unauthenticated::UnknownToken)?;
        Ok(Arc::clone(&indexed.record))
    }

    /// The event-stream credential of the SDK key `record` (as [`TokenIndex::authenticate`]
    /// returned it; `None` for an admin token), derived once per indexed version of the
    /// token; see [`credential`].
    pub(crate) fn stream_credential(&self, record: &TokenRecord) -> Option<Arc<str>> {
        let derive = || credential::issue(record).map(Arc::from);
        match self.records.load().get(&record.id) {
            Some(indexed) if std::ptr::eq(Arc::as_ptr(&indexed.record), record) => {
                indexed.stream_credential.get_or_init(derive).clone()
            }
            _ => derive(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use time::OffsetDateTime;

    use super::*;
    use crate::infra::auth::token::IssuedToken;
    use crate::infra::auth::{TokenKind, hash_secret, issue};

    fn sdk_key(environment: &str) -> IssuedToken {
        issue(
            TokenKind::Sdk,
            "svc".into(),
            None,
            Some(environment.into()),
            "t".into(),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    fn environment(index: &TokenIndex, token: &str) -> Result<String, Unauthenticated> {
        index
            .authenticate(Some(&bearer(token)))
            .map(|record| record.environment.clone().unwrap())
    }

    #[test]
    fn a_key_verifies_again_and_again_and_a_wrong_secret_never_does() {
        let index = TokenIndex::default();
        let key = sdk_key("production");
        index.replace([key.record.clone()]);
        let wrong = format!("{}x", key.token);
        assert!(environment(&index, &wrong).is_err(), "before any success");
        for _ in 0..3 {
            assert_eq!(environment(&index, &key.token).unwrap(), "production");
            assert!(environment(&index, &wrong).is_err(), "after a success");
        }
        let (_, _, secret) = parse_token(&key.token).unwrap();
        let mut flipped = secret.as_bytes().to_vec();
        flipped[0] ^= 1;
        let flipped = key
            .token
            .replace(secret, std::str::from_utf8(&flipped).unwrap());
        assert!(environment(&index, &flipped).is_err());
    }

    #[test]
    fn a_revoked_key_is_refused_on_the_next_request() {
        let index = TokenIndex::default();
        let key = sdk_key("production");
        let other = sdk_key("staging");
        index.replace([key.record.clone(), other.record.clone()]);
        assert!(environment(&index, &key.token).is_ok());
        assert!(environment(&index, &other.token).is_ok());
        index.remove(&key.record.id);
        assert_eq!(
            environment(&index, &key.token),
            Err(Unauthenticated::UnknownToken)
        );
        assert_eq!(environment(&index, &other.token).unwrap(), "staging");
    }

    #[test]
    fn a_replaced_record_forgets_the_old_secret() {
        let index = TokenIndex::default();
        let key = sdk_key("production");
        index.upsert(key.record.clone());
        assert!(environment(&index, &key.token).is_ok());
        let (_, id, old_secret) = parse_token(&key.token).unwrap();
        let mut rotated = key.record.clone();
        rotated.secret_sha256 = hash_secret("a-new-secret");
        rotated.environment = Some("staging".into());
        index.upsert(rotated);
        assert!(environment(&index, &key.token).is_err(), "{old_secret}");
        let new_token = format!("rg_sdk_{id}_a-new-secret");
        assert_eq!(environment(&index, &new_token).unwrap(), "staging");
        index.replace([]);
        assert!(environment(&index, &new_token).is_err());
    }

    #[test]
    fn the_kind_must_match_and_a_broken_digest_verifies_nothing() {
        let index = TokenIndex::default();
        let key = sdk_key("production");
        let mut broken = sdk_key("production");
        broken.record.secret_sha256 = "not hex".into();
        index.replace([key.record.clone(), broken.record.clone()]);
        let as_admin = key.token.replacen("rg_sdk_", "rg_adm_", 1);
        assert!(index.authenticate(Some(&bearer(&as_admin))).is_err());
        assert!(environment(&index, &broken.token).is_err());
        assert!(environment(&index, &key.token).is_ok());
    }

    #[test]
    fn the_stream_credential_is_the_keys_own_and_follows_its_record() {
        let index = TokenIndex::default();
        let key = sdk_key("production");
        index.upsert(key.record.clone());
        let principal = index.authenticate(Some(&bearer(&key.token))).unwrap();
        let expected = credential::issue(&key.record).unwrap();
        for _ in 0..2 {
            assert_eq!(
                index.stream_credential(&principal).as_deref(),
                Some(&*expected)
            );
        }
        let mut rotated = key.record.clone();
        rotated.secret_sha256 = hash_secret("another");
        index.upsert(rotated.clone());
        let fresh = index.get(&rotated.id).unwrap();
        let changed = credential::issue(&rotated).unwrap();
        assert_ne!(changed, expected);
        assert_eq!(index.stream_credential(&fresh).as_deref(), Some(&*changed));
        assert_eq!(
            index.stream_credential(&principal).as_deref(),
            Some(&*expected),
            "a principal verified before the change keeps its own record's"
        );
        index.remove(&rotated.id);
        assert_eq!(index.stream_credential(&fresh).as_deref(), Some(&*changed));
    }

    #[test]
    fn tags_depend_on_the_key_and_the_secret() {
        let a = TokenIndex::default();
        let b = TokenIndex::default();
        assert_ne!(a.tag_key, b.tag_key);
        assert_ne!(tag(&a.tag_key, "s"), tag(&b.tag_key, "s"));
        assert_ne!(tag(&a.tag_key, "s"), tag(&a.tag_key, "t"));
        assert_eq!(tag(&a.tag_key, "s"), tag(&a.tag_key, "s"));
    }
}
