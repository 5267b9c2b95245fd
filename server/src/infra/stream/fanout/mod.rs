//! Fan-out of one environment's events to its subscribers.
//!
//! A publication is turned into SSE bytes once ([`Frame`]) and handed to every subscriber
//! as a reference-counted pointer through a bounded queue (`try_send`): the publisher
//! never waits for a client. A client whose queue is full has fallen too far behind; it
//! is dropped — its queue's sender goes away, so its stream ends after what was already
//! queued — and it reconnects with `Last-Event-ID` to resume by revision.
//!
//! Waking thousands of connection tasks one by one from the publishing thread costs a
//! cross-thread wake-up each (a lock and often a syscall on the worker's event loop), so
//! subscribers are grouped by the worker thread that serves them: publication hands the
//! frame to each group's relay task — one wake-up per worker — and the relay queues it
//! to its subscribers on their own thread, where waking a task is a local push. (Outside
//! a Tokio runtime, e.g. in unit tests, a group has no relay and publication delivers
//! directly.)
//!
//! Subscribing reads the head and registers the queue under the same lock that
//! publication holds; a frame still on its way through a relay when a subscriber joins
//! is skipped by that subscriber (its revision is not after the head it was given), so
//! every subscriber gets every event after its head, none twice. The last `history`
//! events are kept for subscribers that resume.
//!
//! This module is the [`Channel`] (head, history, subscribing, publishing); `head.rs`
//! holds what subscribers are sent ([`Head`], [`Frame`]), `relay.rs` the per-worker
//! groups, their relay task and the bounded per-client queues.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use bytes::Bytes;
use prometheus::IntCounter;
use tokio::sync::{Notify, mpsc};

mod head;
mod relay;

pub(crate) use head::{Flavor, Frame, Head};

use self::relay::{Group, Inbox, lock};
use super::frame;

/// Counters of what was delivered (the stream metrics, or standalone ones in tests).
#[derive(Clone, Debug)]
pub(crate) struct Tally {
    /// Change frames queued to subscribers.
    pub queued: IntCounter,
    /// Subscribers dropped because their queue was full.
    pub dropped: IntCounter,
}

/// An event kept for resuming subscribers: the head revision before it, and the frame.
#[derive(Debug)]
struct Kept {
    previous: u64,
    frame: Arc<Frame>,
}

#[derive(Debug)]
struct State {
    history: VecDeque<Kept>,
    groups: Vec<Arc<Group>>,
    closed: bool,
}

/// One environment's head, recent history and subscribers.
#[derive(Debug)]
pub(crate) struct Channel {
    head: ArcSwap<Head>,
    state: Mutex<State>,
    history: usize,
    buffer: usize,
    tally: Tally,
}

/// What a new subscriber gets: the frames to send first, then its queue.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Sent before anything from the queue (a ruleset, or replayed changes).
    pub initial: Vec<Bytes>,
    /// Everything published after the head the subscriber was given.
    pub queue: mpsc::Receiver<Arc<Frame>>,
    /// The head's revision: queued change frames at or before it are skipped.
    pub after: u64,
}

impl Channel {
    /// A channel starting at `head`; keeps `history` events; queues up to `buffer`
    /// frames per subscriber; counts into `tally`.
    pub(crate) fn new(head: Head, history: usize, buffer: usize, tally: Tally) -> Channel {
        Channel {
            head: ArcSwap::from_pointee(head),
            state: Mutex::new(State {
                history: VecDeque::with_capacity(history.min(1024)),
                groups: Vec::new(),
                closed: false,
            }),
            history,
            buffer: buffer.max(1),
            tally,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The current head, without locking.
    pub(crate) fn head(&self) -> Arc<Head> {
        self.head.load_full()
    }

    /// Number of subscribers (the tests count them).
    #[cfg(test)]
    pub(crate) fn subscribers(&self) -> usize {
        self.state()
            .groups
            .iter()
            .map(|g| lock(&g.subscribers).len())
            .sum()
    }

    /// Moves the head and hands `frame` to every subscriber.
    pub(crate) fn publish(&self, head: Head, frame: Arc<Frame>) {
        let mut state = self.state();
        let previous = self.head.load().revision;
        self.head.store(Arc::new(head));
        if self.history > 0 {
            if state.history.len() == self.history {
                state.history.pop_front();
            }
            state.history.push_back(Kept {
                previous,
                frame: Arc::clone(&frame),
            });
        }
        for group in &state.groups {
            group.send(&frame, &self.tally);
        }
    }

    /// Hands a heartbeat to every subscriber (a client that cannot take it is as slow
    /// as one that cannot take a change, and is dropped the same way).
    pub(crate) fn heartbeat(&self, frame: &Arc<Frame>) {
        for group in &self.state().groups {
            group.send(frame, &self.tally);
        }
    }

    /// Registers a subscriber. Without `resume` it starts with the full ruleset; with the
    /// revision of the last event it processed, it gets the events after it from the
    /// history, nothing when it is current, or the full ruleset when the history does not
    /// reach back that far. `None` once the channel is closed.
    pub(crate) fn subscribe(&self, resume: Option<u64>, flavor: Flavor) -> Option<Joined> {
        let mut state = self.state();
        if state.closed {
            return None;
        }
        let head = self.head.load();
        let initial = match (resume, flavor) {
            (Some(revision), _) if revision == head.revision => Vec::new(),
            (Some(revision), _) => match replay(&state.history, revision) {
                Some(frames) if flavor == Flavor::Notify => {
                    // One notification is enough to make a web client refetch.
                    frames
                        .last()
                        .map(|f| f.notify.clone())
                        .into_iter()
                        .collect()
                }
                Some(frames) => frames.iter().map(|f| f.sdk.clone()).collect(),
                None if flavor == Flavor::Notify => vec![frame::refetch(head.revision)],
                None => vec![head.ruleset_event.clone()],
            },
            (None, Flavor::Sdk) => vec![head.ruleset_event.clone()],
            (None, Flavor::Notify) => Vec::new(),
        };
        let (sender, queue) = mpsc::channel(self.buffer);
        let thread = std::thread::current().id();
        let group = match state.groups.iter().find(|g| g.thread == thread) {
            Some(group) => Arc::clone(group),
            None => {
                let runtime = tokio::runtime::Handle::try_current().ok();
                let group = Arc::new(Group {
                    thread,
                    relayed: runtime.is_some(),
                    inbox: Mutex::new(Inbox::default()),
                    subscribers: Mutex::new(Vec::new()),
                    wake: Notify::new(),
                });
                if let Some(runtime) = runtime {
                    runtime.spawn(Arc::clone(&group).relay(self.tally.clone()));
                }
                state.groups.push(Arc::clone(&group));
                group
            }
        };
        lock(&group.subscribers).push(sender);
        Some(Joined {
            initial,
            queue,
            after: head.revision,
        })
    }

    /// Ends every subscriber's stream (after what is queued) and refuses new ones.
    pub(crate) fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        for group in &state.groups {
            group.close();
        }
    }
}

/// The kept frames after `revision`, when the history reaches back to it.
fn replay(history: &VecDeque<Kept>, revision: u64) -> Option<Vec<Arc<Frame>>> {
    let start = history.iter().position(|k| k.frame.revision > revision)?;
    (history[start].previous <= revision).then(|| {
        history
            .iter()
            .skip(start)
            .map(|k| Arc::clone(&k.frame))
            .collect()
    })
}

#[cfg(test)]
mod tests;
