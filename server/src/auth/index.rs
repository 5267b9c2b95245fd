//! The in-memory index of tokens, kept current from the change feed, so that checking a
//! token never touches the store.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::token::{TokenRecord, parse_token};
use super::{AuthError, Principal};
use crate::config::Secret;

/// The id under which `ROLLGATE_ADMIN_TOKEN` is stored: that token is chosen by the
/// operator, so it does not carry our id.
pub const BOOTSTRAP_ID: &str = "bootstrap";

/// Token records by id, swapped atomically on every change.
#[derive(Debug, Default)]
pub struct TokenIndex {
    records: ArcSwap<HashMap<String, Arc<TokenRecord>>>,
}

impl TokenIndex {
    /// Replaces the whole index.
    pub fn replace(&self, records: impl IntoIterator<Item = TokenRecord>) {
        let map = records
            .into_iter()
            .map(|r| (r.id.clone(), Arc::new(r)))
            .collect();
        self.records.store(Arc::new(map));
    }

    /// Adds or replaces one record.
    pub fn upsert(&self, record: TokenRecord) {
        self.records.rcu(|current| {
            let mut next = HashMap::clone(current);
            next.insert(record.id.clone(), Arc::new(record.clone()));
            next
        });
    }

    /// Removes one record.
    pub fn remove(&self, id: &str) {
        self.records.rcu(|current| {
            let mut next = HashMap::clone(current);
            next.remove(id);
            next
        });
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.records.load().len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.records.load().is_empty()
    }

    /// The record with id `id`.
    pub fn get(&self, id: &str) -> Option<Arc<TokenRecord>> {
        self.records.load().get(id).cloned()
    }

    /// Resolves the value of an `Authorization` header.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        let header = header.ok_or(AuthError::Unauthenticated(
            "missing Authorization header; send `Authorization: Bearer <token>`",
        ))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`",
            ))?;
        let records = self.records.load();
        let record = match parse_token(token) {
            Some((kind, id, secret)) => records
                .get(id)
                .filter(|r| r.kind == kind && r.verify(secret)),
            None => records.get(BOOTSTRAP_ID).filter(|r| r.verify(token)),
        };
        let record = record.ok_or(AuthError::Unauthenticated("unknown or revoked token"))?;
        Ok(Principal::new(Arc::clone(record)))
    }

    /// True when `secret` is the stored bootstrap token.
    pub fn is_bootstrap(&self, secret: &Secret) -> bool {
        self.records
            .load()
            .get(BOOTSTRAP_ID)
            .is_some_and(|r| r.verify(secret.expose()))
    }
}
