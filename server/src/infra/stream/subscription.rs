//! One open stream as the HTTP layer sends it: the retry hint, the initial frames, then
//! whatever the fan-out queues, until the queue's sender is dropped (the client was too
//! slow, its environment went away, or the server is shutting down).
//!
//! The [`Lease`] counts the stream against its SDK key's bound and the connected-streams
//! gauge; dropping the stream (the client went away) gives both back.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use prometheus::IntGauge;
use rustc_hash::FxHashMap;
use tokio::sync::mpsc;

use super::fanout::{Flavor, Frame, Joined};
use super::frame;

/// A stream's place in its key's bound and in the gauge.
#[derive(Debug)]
pub(super) struct Lease {
    per_key: Arc<Mutex<FxHashMap<Box<str>, usize>>>,
    key: Box<str>,
    connected: IntGauge,
}

impl Lease {
    /// Takes one of `key`'s `limit` places, if one is free.
    pub(super) fn take(
        per_key: &Arc<Mutex<FxHashMap<Box<str>, usize>>>,
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

/// The bytes of one open stream.
#[derive(Debug)]
pub(crate) struct Subscription {
    initial: VecDeque<Bytes>,
    queue: mpsc::Receiver<Arc<Frame>>,
    /// Change frames at or before this revision were already in the initial frames.
    after: u64,
    flavor: Flavor,
    /// The revision of the latest ruleset or change handed to the connection (0 until
    /// the initial frames are out), for the rollback record.
    delivered: Arc<AtomicU64>,
    _lease: Lease,
}

impl Subscription {
    pub(super) fn new(
        joined: Joined,
        flavor: Flavor,
        lease: Lease,
        delivered: Arc<AtomicU64>,
    ) -> Subscription {
        let mut initial = VecDeque::with_capacity(joined.initial.len() + 1);
        initial.push_back(Bytes::from_static(frame::RETRY));
        initial.extend(joined.initial);
        Subscription {
            initial,
            queue: joined.queue,
            after: joined.after,
            flavor,
            delivered,
            _lease: lease,
        }
    }
}

impl Stream for Subscription {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.initial.pop_front() {
            if self.initial.is_empty() {
                self.delivered.store(self.after, Ordering::Release);
            }
            return Poll::Ready(Some(Ok(first)));
        }
        loop {
            match self.queue.poll_recv(cx) {
                Poll::Ready(Some(frame)) if frame.revision != 0 && frame.revision <= self.after => {
                }
                Poll::Ready(Some(frame)) => {
                    if frame.revision != 0 {
                        self.delivered.fetch_max(frame.revision, Ordering::AcqRel);
                    }
                    return Poll::Ready(Some(Ok(frame.bytes(self.flavor).clone())));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
