//! SDK sync: every environment's ruleset and the stream of its changes, fanned out to
//! thousands of subscribers per process.
//!
//! The hub calls [`Streams::publish`] with every catalog it publishes, before it
//! acknowledges the revision, so a write whose `2xx` came back is already in the ruleset
//! and on its way to every stream. Per environment, publication
//! - brings the [`ruleset::RulesetBuilder`] to the catalog (only changed documents are
//!   serialized again) and gets the difference;
//! - when the difference is empty (another environment's config, a token, a release …)
//!   does nothing more: those clients are not woken;
//! - otherwise moves the [`fanout::Head`] to the catalog's revision and queues one
//!   [`fanout::Frame`] — the SSE bytes built once — to every subscriber (through one
//!   relay task per worker thread, see [`fanout`]).
//!
//! Event ids are store revisions; a client that reconnects with `Last-Event-ID` gets the
//! events it missed from the channel's history, or the full ruleset when the history no
//! longer reaches back to it (and after a restart, when there is no history yet).
//!
//! Nothing here knows HTTP: `http/sdk.rs` maps requests to these calls.

pub(crate) mod credential;
pub(crate) mod exposures;
pub(crate) mod fanout;
pub(crate) mod frame;
mod options;
pub(crate) mod ruleset;
mod subscription;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use prometheus::Registry;
use rustc_hash::FxHashMap;
use tokio::sync::watch;

pub(crate) use fanout::{Flavor, Head};
pub(crate) use options::{StreamMetrics, StreamOptions};
use subscription::Progress;
pub(crate) use subscription::Subscription;

use self::fanout::{Channel, Frame, Tally};
use self::ruleset::RulesetBuilder;
use crate::infra::hub::Catalog;

/// Why a stream cannot be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SubscribeError {
    /// The key's environment is not served (deleted).
    #[error("environment {0:?} of this SDK key no longer exists")]
    UnknownEnvironment(String),
    /// The key already has as many streams of this kind as allowed.
    #[error(
        "this SDK key already has {limit} open streams of this kind ({setting}); close some or use another key"
    )]
    TooManyStreams {
        /// The bound.
        limit: usize,
        /// The setting that sets it.
        setting: &'static str,
    },
    /// The server is shutting down.
    #[error("the server is shutting down; reconnect shortly")]
    Closed,
}

/// Rulesets and streams of every environment.
#[derive(Debug)]
pub(crate) struct Streams {
    settings: StreamOptions,
    channels: ArcSwap<FxHashMap<Box<str>, Arc<Channel>>>,
    /// Publisher-side state; publication is serialized by this lock.
    builders: Mutex<FxHashMap<String, RulesetBuilder>>,
    /// Open streams per SDK key: SDK streams, OFREP event streams.
    per_key: [subscription::PerKey; 2],
    /// Per environment, what each open stream has been handed (see [`Streams::delivered`]).
    delivered: Mutex<FxHashMap<Box<str>, Vec<Weak<AtomicU64>>>>,
    /// Wakes whoever waits for the streams to be handed a revision.
    progress: Arc<Progress>,
    closed: AtomicBool,
    /// Flips when [`Streams::close`] is called, for streams that are not channels here
    /// (the dashboard's).
    closing: watch::Sender<bool>,
    metrics: StreamMetrics,
}

/// How far `environment`'s open streams are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Delivered {
    /// Streams open.
    pub connected: usize,
    /// Of those, how many have been handed the revision asked about (or a later one):
    /// its change was written to their connection.
    pub received: usize,
}

impl Streams {
    /// No environments yet; the hub's first publication creates them.
    pub(crate) fn new(settings: StreamOptions) -> Streams {
        Streams {
            settings,
            channels: ArcSwap::from_pointee(FxHashMap::default()),
            builders: Mutex::new(FxHashMap::default()),
            per_key: Default::default(),
            delivered: Mutex::new(FxHashMap::default()),
            progress: Arc::default(),
            closed: AtomicBool::new(false),
            closing: watch::channel(false).0,
            metrics: StreamMetrics::new(),
        }
    }

    /// Adds the stream metrics to `registry`.
    pub(crate) fn register(&self, registry: &Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.metrics.connected.clone()))?;
        registry.register(Box::new(self.metrics.events.clone()))?;
        registry.register(Box::new(self.metrics.dropped.clone()))
    }

    /// The stream metrics (the tests read them).
    #[cfg(test)]
    pub(crate) fn metrics(&self) -> &StreamMetrics {
        &self.metrics
    }

    /// Brings the rulesets of `environments` to `catalog` and queues one event per
    /// environment whose SDKs would see a difference.
    pub(crate) fn publish(&self, catalog: &Catalog, environments: &BTreeSet<String>) {
        let mut builders = self.builders.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.channels.load_full();
        let mut channels = FxHashMap::clone(&current);
        channels.retain(|environment, channel| {
            let keep = catalog.environments.contains_key(&**environment);
            if !keep {
                channel.close();
            }
            keep
        });
        builders.retain(|environment, _| catalog.environments.contains_key(environment));
        for environment in environments {
            if !catalog.environments.contains_key(environment) {
                continue;
            }
            let builder = builders
                .entry(environment.clone())
                .or_insert_with(|| RulesetBuilder::new(environment));
            let delta = builder.update(catalog);
            let revision = catalog.revision;
            match channels.get(environment.as_str()) {
                None => {
                    let head = builder.head(revision);
                    let channel = Channel::new(
                        head,
                        self.settings.history,
                        self.settings.client_buffer,
                        self.tally(),
                    );
                    channels.insert(environment.as_str().into(), Arc::new(channel));
                }
                Some(_) if delta.is_empty() => {}
                Some(channel) => {
                    let head = builder.head(revision);
                    let change = frame::event("change", revision, &delta.to_json());
                    let frame = Frame::change(revision, change, frame::refetch(revision));
                    channel.publish(head, Arc::new(frame));
                }
            }
        }
        if channels.len() != current.len() || channels.keys().any(|k| !current.contains_key(k)) {
            self.channels.store(Arc::new(channels));
        }
    }

    fn tally(&self) -> Tally {
        Tally {
            queued: self.metrics.events.clone(),
            dropped: self.metrics.dropped.clone(),
        }
    }

    /// `environment`'s current ruleset.
    #[inline]
    pub(crate) fn head(&self, environment: &str) -> Option<Arc<Head>> {
        self.channels.load().get(environment).map(|c| c.head())
    }

    /// Opens a stream of `environment` for SDK key `key_id`, resuming after revision
    /// `resume` when given (see [`fanout::Channel::subscribe`]).
    pub(crate) fn subscribe(
        &self,
        environment: &str,
        key_id: &str,
        resume: Option<u64>,
        flavor: Flavor,
    ) -> Result<Subscription, SubscribeError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(SubscribeError::Closed);
        }
        let channel = self
            .channels
            .load()
            .get(environment)
            .cloned()
            .ok_or_else(|| SubscribeError::UnknownEnvironment(environment.to_owned()))?;
        let (per_key, limit, setting) = match flavor {
            Flavor::Sdk => (
                &self.per_key[0],
                self.settings.max_sdk_streams_per_key,
                "limits.max_streams_per_sdk_key",
            ),
            Flavor::Notify => (
                &self.per_key[1],
                self.settings.max_ofrep_streams_per_key,
                "limits.max_ofrep_streams_per_sdk_key",
            ),
        };
        let lease =
            subscription::Lease::take(per_key, key_id, limit, self.metrics.connected.clone())
                .ok_or(SubscribeError::TooManyStreams { limit, setting })?;
        let joined = channel
            .subscribe(resume, flavor)
            .ok_or(SubscribeError::Closed)?;
        self.metrics.events.inc_by(joined.initial.len() as u64);
        let delivered = Arc::new(AtomicU64::new(0));
        {
            let mut all = self
                .delivered
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let streams = all.entry(environment.into()).or_default();
            streams.push(Arc::downgrade(&delivered));
            // Forget closed streams now and then, so reconnects do not pile up.
            if streams.len() >= 64 && streams.len().is_power_of_two() {
                streams.retain(|s| s.strong_count() > 0);
            }
        }
        let progress = Arc::clone(&self.progress);
        Ok(Subscription::new(
            joined, flavor, lease, delivered, progress,
        ))
    }

    /// How many of `environment`'s open streams have been handed `revision` (or a later
    /// one). Streams that closed are forgotten here.
    pub(crate) fn delivered(&self, environment: &str, revision: u64) -> Delivered {
        let mut all = self
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(streams) = all.get_mut(environment) else {
            return Delivered {
                connected: 0,
                received: 0,
            };
        };
        streams.retain(|s| s.strong_count() > 0);
        let received = streams
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|s| s.load(Ordering::SeqCst) >= revision)
            .count();
        Delivered {
            connected: streams.len(),
            received,
        }
    }

    /// Waits until every open stream of `environment` has been handed `revision` (or a
    /// later one), or `within` has passed; says how far they got. Woken by the streams
    /// as they hand revisions over or close, so it never polls.
    pub(crate) async fn delivered_within(
        &self,
        environment: &str,
        revision: u64,
        within: Duration,
    ) -> Delivered {
        let deadline = tokio::time::Instant::now() + within;
        let waiting = self.progress.wait();
        loop {
            let moved = waiting.next_move();
            let delivered = self.delivered(environment, revision);
            if delivered.received >= delivered.connected {
                return delivered;
            }
            if tokio::time::timeout_at(deadline, moved).await.is_err() {
                return self.delivered(environment, revision);
            }
        }
    }

    /// Sends a heartbeat on every stream each interval until `shutdown` flips.
    pub(crate) async fn run_heartbeats(&self, mut shutdown: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(self.settings.heartbeat_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        let beat = Arc::new(Frame::heartbeat());
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.changed() => return,
            }
            for channel in self.channels.load().values() {
                channel.heartbeat(&beat);
            }
        }
    }

    /// Flips to `true` when the streams are closed: other long-lived streams end with
    /// these.
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every stream (after what is queued) and refuses new ones: streams never end
    /// by themselves, so a graceful shutdown calls this before draining requests.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.closing.send_replace(true);
        for channel in self.channels.load().values() {
            channel.close();
        }
    }
}

#[cfg(test)]
mod tests;
