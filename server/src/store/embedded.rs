//! The embedded store (redb): one file in the data directory, fsync on every commit.
//! (placeholder until the embedded-store branch lands)

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use super::*;

/// Options.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Changes kept.
    pub change_retention: u64,
    /// Broadcast capacity.
    pub channel_capacity: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions { change_retention: 100_000, channel_capacity: 4096 }
    }
}

/// Store.
#[derive(Debug)]
pub struct EmbeddedStore;

impl EmbeddedStore {
    /// Opens.
    pub fn open(_dir: &Path, _options: EmbeddedOptions) -> Result<EmbeddedStore, StoreError> {
        Err(StoreError::Unavailable("placeholder".into()))
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, _kind: Kind, _key: &str) -> Result<Option<Document>, StoreError> { unreachable!() }
    async fn list(&self, _kind: Kind) -> Result<Vec<Document>, StoreError> { unreachable!() }
    async fn commit(&self, _commit: Commit) -> Result<Arc<Change>, StoreError> { unreachable!() }
    async fn revision(&self) -> Result<u64, StoreError> { unreachable!() }
    async fn changes_since(&self, _after: u64, _limit: usize) -> Result<ChangesSince, StoreError> { unreachable!() }
    async fn audit(&self, _query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> { unreachable!() }
    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> { unreachable!() }
}
