//! One open stream as the HTTP layer sends it: the retry hint, the initial frames, then
//! whatever the fan-out queues, until the queue's sender is dropped (the client was too
//! slow, its environment went away, or the server is shutting down).
//!
//! The [`Lease`] counts the stream against its SDK key's bound and the connected-streams
//! gauge; dropping the stream (the client went away) gives both back.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use prometheus::IntGauge;
use rustc_hash::FxHashMap;
use tokio::sync::{Notify, mpsc};

use super::fanout::{Flavor, Frame, Joined};
use super::frame;

/// Open streams per SDK key (of one kind).
pub(super) type PerKey = Arc<Mutex<FxHashMap<Box<str>, usize>>>;

/// A stream's place in its key's bound and in the gauge.
#[derive(Debug)]
pub(super) struct Lease {
    per_key: PerKey,
    key: Box<str>,
    connected: IntGauge,
}

impl Lease {
    /// Takes one of `key`'s `limit` places, if one is free.
    pub(super) fn take(
        per_key: &PerKey,
        key: &str,
        limit: usize,
        connected: IntGauge,
    ) -> Option<Lease> {
        let mut counts = per_key.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(key.into()).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        connected.inc();
        Some(Lease {
            per_key: Arc::clone(per_key),
            key: key.into(),
            connected,
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut counts = self.per_key.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
        self.connected.dec();
    }
}

/// Wakes whoever waits for the open streams to be handed a revision (the rollback
/// record): every stream calls [`Progress::moved`] when it hands a revision to its
/// connection and when it closes. Nobody waits almost always, and then a stream pays
/// one read of a shared counter.
///
/// The orderings are sequentially consistent so that no wake-up is lost between a
/// waiter's look at the streams and its sleep: a waiter counts itself, then creates
/// its `Notified` (which catches any later `notify_waiters`), then reads what the
/// streams were handed; a stream records what it handed, then reads the count.
#[derive(Debug, Default)]
pub(super) struct Progress {
    waiting: AtomicUsize,
    moved: Notify,
}

impl Progress {
    /// A stream handed a revision to its connection, or closed.
    fn moved(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.moved.notify_waiters();
        }
    }

    /// Counts a waiter until the guard is dropped.
    pub(super) fn wait(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting(self)
    }
}

/// A waiter counted in [`Progress`].
pub(super) struct Waiting<'a>(&'a Progress);

impl Waiting<'_> {
    /// Resolves on the next move of any stream after this call.
    pub(super) fn next_move(&self) -> tokio::sync::futures::Notified<'_> {
        self.0.moved.notified()
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The bytes of one open stream.
#[derive(Debug)]
pub(crate) struct Subscription {
    initial: VecDeque<Bytes>,
    queue: mpsc::Receiver<Arc<Frame>>,
    /// Change frames at or before this revision were already in the initial frames.
    after: u64,
    flavor: Flavor,
    /// The revision of the latest ruleset or change handed to the connection (0 until
    /// the initial frames are out), for the rollback record; let go of when the stream
    /// closes, so that it no longer counts as connected.
    delivered: Option<Arc<AtomicU64>>,
    progress: Arc<Progress>,
    _lease: Lease,
}

impl Subscription {
    pub(super) fn new(
        joined: Joined,
        flavor: Flavor,
        lease: Lease,
        delivered: Arc<AtomicU64>,
        progress: Arc<Progress>,
    ) -> Subscription {
        let mut initial = VecDeque::with_capacity(joined.initial.len() + 1);
        initial.push_back(Bytes::from_static(frame::RETRY));
        initial.extend(joined.initial);
        Subscription {
            initial,
            queue: joined.queue,
            after: joined.after,
            flavor,
            delivered: Some(delivered),
            progress,
            _lease: lease,
        }
    }

    /// Records that the connection was handed `revision` (or a later one).
    fn handed(&self, revision: u64) {
        if let Some(delivered) = &self.delivered {
            delivered.fetch_max(revision, Ordering::SeqCst);
            self.progress.moved();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.delivered = None;
        self.progress.moved();
    }
}

impl Stream for Subscription {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.initial.pop_front() {
            if self.initial.is_empty() {
                self.handed(self.after);
            }
            return Poll::Ready(Some(Ok(first)));
        }
        loop {
            match self.queue.poll_recv(cx) {
                Poll::Ready(Some(frame)) if frame.revision != 0 && frame.revision <= self.after => {
                }
                Poll::Ready(Some(frame)) => {
                    if frame.revision != 0 {
                        self.handed(frame.revision);
                    }
                    return Poll::Ready(Some(Ok(frame.bytes(self.flavor).clone())));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
