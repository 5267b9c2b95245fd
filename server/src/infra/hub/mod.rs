//! The hub: follows the store's change feed, keeps the documents that evaluation needs
//! in memory, and publishes one compiled [`Served`] snapshot per environment.
//!
//! Evaluation reads the published snapshot through an `ArcSwap`: no lock, no await, no
//! store call. A write publishes a new snapshot atomically; writers wait with
//! [`Hub::wait_for`] until their revision is served here, so a caller that got its
//! `200` sees its change on the next evaluation.

mod catalog;
mod feed_metrics;
mod served;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;
use tokio::sync::{broadcast, watch};

pub(crate) use catalog::{Catalog, Versioned};
pub(crate) use feed_metrics::register_feed_metrics;
pub(crate) use served::Served;

use crate::infra::auth::TokenIndex;
use crate::infra::metrics::Metrics;
use crate::infra::store::{Change, ChangesSince, Kind, Store, StoreError};
use crate::infra::stream::Streams;

/// How many changes to read per `changes_since` call while catching up.
const CATCH_UP_BATCH: usize = 1024;

/// Compiled snapshots per environment, and the in-memory documents they come from.
pub(crate) struct Hub {
    catalog: ArcSwap<Catalog>,
    served: ArcSwap<FxHashMap<String, Arc<Served>>>,
    applied: watch::Sender<u64>,
    /// Whether the catalog has been loaded once.
    loaded: AtomicBool,
    /// Why the catalog is not loaded yet, when an attempt failed.
    not_loaded: std::sync::Mutex<Option<String>>,
    tokens: Arc<TokenIndex>,
    metrics: Metrics,
    streams: Arc<Streams>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("revision", &*self.applied.borrow())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// An empty hub with default stream settings; call [`Hub::load`] before serving.
    #[cfg(test)]
    pub(crate) fn new(tokens: Arc<TokenIndex>, metrics: Metrics) -> Hub {
        let streams = Arc::new(Streams::new(crate::infra::stream::StreamOptions::default()));
        Hub::with_streams(tokens, metrics, streams)
    }

    /// An empty hub that also publishes every environment's SDK ruleset and changes to
    /// `streams`; call [`Hub::load`] before serving.
    pub(crate) fn with_streams(
        tokens: Arc<TokenIndex>,
        metrics: Metrics,
        streams: Arc<Streams>,
    ) -> Hub {
        Hub {
            catalog: ArcSwap::from_pointee(Catalog::default()),
            served: ArcSwap::from_pointee(FxHashMap::default()),
            applied: watch::channel(0).0,
            loaded: AtomicBool::new(false),
            not_loaded: std::sync::Mutex::new(None),
            tokens,
            metrics,
            streams,
        }
    }

    /// SDK rulesets and streams.
    pub(crate) fn streams(&self) -> &Arc<Streams> {
        &self.streams
    }

    /// The snapshot served for `environment`.
    #[inline]
    pub(crate) fn snapshot(&self, environment: &str) -> Option<Arc<Served>> {
        self.served.load().get(environment).cloned()
    }

    /// The documents as of the served revision.
    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Whether the catalog has been loaded: until then nothing is served.
    pub(crate) fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Notes why loading failed (shown by `/readyz` until it succeeds).
    pub(crate) fn loading_failed(&self, why: String) {
        *self
            .not_loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
    }

    /// Why the catalog is not loaded yet, if an attempt failed.
    pub(crate) fn why_not_loaded(&self) -> Option<String> {
        if self.is_loaded() {
            return None;
        }
        self.not_loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The revision served.
    pub(crate) fn revision(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Waits until revision `revision` (or a later one) is served.
    pub(crate) async fn wait_for(&self, revision: u64) {
        let mut applied = self.applied.subscribe();
        // The sender lives as long as the hub, so this only ends when the revision is served.
        let _ = applied.wait_for(|served| *served >= revision).await;
    }

    /// Loads every document from the store and publishes every environment.
    pub(crate) async fn load(&self, store: &dyn Store) -> Result<(), StoreError> {
        let revision = store.revision().await?;
        let mut catalog = Catalog::read(store, revision).await?;
        // Documents listed above may already include commits after `revision`; replaying
        // those changes in order brings everything to one consistent revision.
        loop {
            match store
                .changes_since(catalog.revision, CATCH_UP_BATCH)
                .await?
            {
                ChangesSince::Changes(changes) if changes.is_empty() => break,
                ChangesSince::Changes(changes) => {
                    for change in &changes {
                        catalog.apply(change);
                    }
                }
                ChangesSince::TooOld { .. } => {
                    let revision = store.revision().await?;
                    catalog = Catalog::read(store, revision).await?;
                }
            }
        }
        self.tokens
            .replace(catalog.tokens.values().map(|t| t.doc.as_ref().clone()));
        let environments: Vec<String> = catalog.environments.keys().cloned().collect();
        let revision = catalog.revision;
        // Compiled afresh: a reload stamps every document with the revision it was read
        // at, not the one that wrote it, so a stamp could match a snapshot's by chance.
        self.publish(catalog, environments.iter().cloned().collect(), false);
        self.loaded.store(true, Ordering::Release);
        tracing::info!(
            revision,
            environments = environments.len(),
            "snapshots loaded"
        );
        Ok(())
    }

    /// Applies changes from the feed until `shutdown` flips. Run it as a task after
    /// [`Hub::load`]; the receiver must have been created before `load` so nothing is
    /// missed in between. When the feed skips revisions (this process lagged behind its
    /// local channel, or a shared feed was trimmed while it was away), it catches up
    /// from the store — reloading everything when the store no longer has the changes —
    /// and keeps trying while the store is out of reach.
    pub(crate) async fn follow(
        &self,
        store: &dyn Store,
        mut feed: broadcast::Receiver<Arc<Change>>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let received = tokio::select! {
                received = feed.recv() => received,
                _ = shutdown.changed() => return,
            };
            let in_order = match received {
                Ok(change) => {
                    let mut batch = vec![change];
                    while let Ok(more) = feed.try_recv() {
                        batch.push(more);
                    }
                    self.apply_batch(&batch)
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "hub fell behind the change feed");
                    false
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if !in_order {
                self.recover(store, &mut shutdown).await;
            }
        }
    }

    /// Catches up from the store, retrying with backoff until it succeeds or `shutdown`
    /// flips; meanwhile the last snapshots stay served.
    async fn recover(&self, store: &dyn Store, shutdown: &mut watch::Receiver<bool>) {
        let mut pause = Duration::from_millis(100);
        let mut warned = false;
        loop {
            match self.catch_up(store).await {
                Ok(()) => {
                    if warned {
                        tracing::info!(revision = self.revision(), "hub caught up");
                    }
                    return;
                }
                Err(error) => {
                    if !warned {
                        tracing::warn!(%error, "hub cannot catch up yet; serving the last snapshots and retrying");
                        warned = true;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = shutdown.changed() => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn catch_up(&self, store: &dyn Store) -> Result<(), StoreError> {
        loop {
            match store.changes_since(self.revision(), CATCH_UP_BATCH).await? {
                ChangesSince::Changes(changes) if changes.is_empty() => return Ok(()),
                ChangesSince::Changes(changes) => {
                    if !self.apply_batch(&changes) {
                        return self.load(store).await;
                    }
                }
                ChangesSince::TooOld { oldest } => {
                    tracing::warn!(
                        served = self.revision(),
                        oldest,
                        "the store no longer holds the changes after the served revision; reloading everything"
                    );
                    return self.load(store).await;
                }
            }
        }
    }

    /// Applies changes in revision order; ones already served are skipped. Stops at a
    /// gap (a change that is not the next revision) and returns false: the caller
    /// catches up from the store.
    pub(crate) fn apply_batch(&self, changes: &[Arc<Change>]) -> bool {
        let mut catalog = Catalog::clone(&self.catalog.load());
        let mut environments = BTreeSet::new();
        let mut applied = false;
        let mut in_order = true;
        for change in changes {
            if change.revision <= catalog.revision {
                continue;
            }
            if change.revision > catalog.revision + 1 {
                in_order = false;
                break;
            }
            environments.extend(catalog.apply(change));
            for entry in &change.entries {
                if entry.kind == Kind::Token {
                    match catalog.tokens.get(&entry.key) {
                        Some(token) => self.tokens.upsert(token.doc.as_ref().clone()),
                        None => self.tokens.remove(&entry.key),
                    }
                }
            }
            applied = true;
        }
        if applied {
            self.publish(catalog, environments, true);
        }
        in_order
    }

    /// Compiles `environments` (reusing what did not change from the snapshots served
    /// now when `reuse`) and serves `catalog`.
    fn publish(&self, catalog: Catalog, environments: BTreeSet<String>, reuse: bool) {
        let revision = catalog.revision;
        let mut served = FxHashMap::clone(&self.served.load());
        served.retain(|env, _| catalog.environments.contains_key(env));
        for environment in &environments {
            if !catalog.environments.contains_key(environment) {
                continue;
            }
            let timer = self.metrics.snapshot_compile.start_timer();
            let previous = served.get(environment).filter(|_| reuse).cloned();
            let compiled = catalog.compile(environment, previous.as_deref().map(|p| &p.snapshot));
            timer.observe_duration();
            for warning in &compiled.warnings {
                tracing::warn!(environment, %warning, "left out of the snapshot");
            }
            served.insert(
                environment.clone(),
                Arc::new(Served::new(
                    compiled.snapshot,
                    previous.as_deref(),
                    &self.metrics,
                )),
            );
        }
        self.streams.publish(&catalog, &environments);
        self.catalog.store(Arc::new(catalog));
        self.served.store(Arc::new(served));
        self.metrics
            .store_revision
            .set(i64::try_from(revision).unwrap_or(i64::MAX));
        self.applied.send_replace(revision);
    }
}
