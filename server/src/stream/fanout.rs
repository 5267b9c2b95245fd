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

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use arc_swap::ArcSwap;
use bytes::Bytes;
use prometheus::IntCounter;
use tokio::sync::{Notify, mpsc};

use super::frame;

/// Which wire format a subscriber reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// The SDK stream: a `ruleset` event, then `change` events.
    Sdk,
    /// OFREP's notification stream (`refetchEvaluation` messages) for web clients.
    Notify,
}

/// One event in both wire formats.
#[derive(Debug)]
pub struct Frame {
    /// The revision it brings a client to (0 for a heartbeat).
    pub revision: u64,
    sdk: Bytes,
    notify: Bytes,
}

impl Frame {
    /// A change event.
    pub fn change(revision: u64, sdk: Bytes, notify: Bytes) -> Frame {
        Frame {
            revision,
            sdk,
            notify,
        }
    }

    /// The heartbeat comment (same bytes for every flavor).
    pub fn heartbeat() -> Frame {
        let bytes = Bytes::from_static(frame::HEARTBEAT);
        Frame {
            revision: 0,
            sdk: bytes.clone(),
            notify: bytes,
        }
    }

    /// The bytes for `flavor`.
    pub fn bytes(&self, flavor: Flavor) -> &Bytes {
        match flavor {
            Flavor::Sdk => &self.sdk,
            Flavor::Notify => &self.notify,
        }
    }
}

/// What a subscriber starts from: the environment's full ruleset at one revision.
#[derive(Debug)]
pub struct Head {
    /// The revision of the last change this environment's SDKs saw.
    pub revision: u64,
    /// The ruleset JSON (`GET /sdk/v1/ruleset`).
    pub ruleset: Bytes,
    /// The same as a `ruleset` SSE event.
    pub ruleset_event: Bytes,
    /// The ETag of the ruleset.
    pub etag: String,
}

impl Head {
    /// A head at `revision` with `ruleset`.
    pub fn new(revision: u64, ruleset: Bytes) -> Head {
        let ruleset_event = frame::event("ruleset", revision, &ruleset);
        Head {
            revision,
            // The event's data is the ruleset: share those bytes rather than keep two copies.
            ruleset: frame::data(&ruleset_event, ruleset.len()),
            ruleset_event,
            etag: format!("\"{revision}\""),
        }
    }
}

/// Counters of what was delivered (the stream metrics, or standalone ones in tests).
#[derive(Clone, Debug)]
pub struct Tally {
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

/// The subscribers served by one thread, and the relay that feeds them there.
#[derive(Debug)]
struct Group {
    thread: ThreadId,
    /// Whether a relay task runs for this group (else publication delivers directly).
    relayed: bool,
    inbox: Mutex<Inbox>,
    subscribers: Mutex<Vec<mpsc::Sender<Arc<Frame>>>>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct Inbox {
    frames: Vec<Arc<Frame>>,
    closed: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Group {
    /// Hands `frame` to this group's subscribers (through the relay when there is one).
    fn send(&self, frame: &Arc<Frame>, tally: &Tally) {
        if self.relayed {
            lock(&self.inbox).frames.push(Arc::clone(frame));
            self.wake.notify_one();
        } else {
            deliver(&mut lock(&self.subscribers), frame, tally);
        }
    }

    fn close(&self) {
        lock(&self.inbox).closed = true;
        lock(&self.subscribers).clear();
        self.wake.notify_one();
    }

    /// The relay: runs on the group's thread until the channel closes.
    async fn relay(self: Arc<Group>, tally: Tally) {
        loop {
            self.wake.notified().await;
            let (frames, closed) = {
                let mut inbox = lock(&self.inbox);
                (std::mem::take(&mut inbox.frames), inbox.closed)
            };
            let mut subscribers = lock(&self.subscribers);
            if closed {
                subscribers.clear();
                return;
            }
            for frame in &frames {
                deliver(&mut subscribers, frame, &tally);
            }
        }
    }
}

/// One environment's head, recent history and subscribers.
#[derive(Debug)]
pub struct Channel {
    head: ArcSwap<Head>,
    state: Mutex<State>,
    history: usize,
    buffer: usize,
    tally: Tally,
}

/// What a new subscriber gets: the frames to send first, then its queue.
#[derive(Debug)]
pub struct Joined {
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
    pub fn new(head: Head, history: usize, buffer: usize, tally: Tally) -> Channel {
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
    pub fn head(&self) -> Arc<Head> {
        self.head.load_full()
    }

    /// Number of subscribers.
    pub fn subscribers(&self) -> usize {
        self.state()
            .groups
            .iter()
            .map(|g| lock(&g.subscribers).len())
            .sum()
    }

    /// Moves the head and hands `frame` to every subscriber.
    pub fn publish(&self, head: Head, frame: Arc<Frame>) {
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
    pub fn heartbeat(&self, frame: &Arc<Frame>) {
        for group in &self.state().groups {
            group.send(frame, &self.tally);
        }
    }

    /// Registers a subscriber. Without `resume` it starts with the full ruleset; with the
    /// revision of the last event it processed, it gets the events after it from the
    /// history, nothing when it is current, or the full ruleset when the history does not
    /// reach back that far. `None` once the channel is closed.
    pub fn subscribe(&self, resume: Option<u64>, flavor: Flavor) -> Option<Joined> {
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
    pub fn close(&self) {
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

fn deliver(subscribers: &mut Vec<mpsc::Sender<Arc<Frame>>>, frame: &Arc<Frame>, tally: &Tally) {
    let (mut queued, mut dropped) = (0, 0);
    subscribers.retain(|sender| match sender.try_send(Arc::clone(frame)) {
        Ok(()) => {
            queued += 1;
            true
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            dropped += 1;
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
    if frame.revision > 0 {
        tally.queued.inc_by(queued);
    }
    tally.dropped.inc_by(dropped);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn tally() -> Tally {
        Tally {
            queued: IntCounter::new("queued", "q").unwrap(),
            dropped: IntCounter::new("dropped", "d").unwrap(),
        }
    }

    fn channel(head_revision: u64, history: usize, buffer: usize) -> (Channel, Tally) {
        let tally = tally();
        (
            Channel::new(head(head_revision), history, buffer, tally.clone()),
            tally,
        )
    }

    fn head(revision: u64) -> Head {
        Head::new(
            revision,
            Bytes::from(format!("{{\"revision\":{revision}}}")),
        )
    }

    fn change(revision: u64) -> Arc<Frame> {
        Arc::new(Frame::change(
            revision,
            frame::event(
                "change",
                revision,
                format!("{{\"revision\":{revision}}}").as_bytes(),
            ),
            frame::refetch(revision),
        ))
    }

    fn drain(queue: &mut mpsc::Receiver<Arc<Frame>>) -> Vec<u64> {
        let mut seen = Vec::new();
        while let Ok(frame) = queue.try_recv() {
            seen.push(frame.revision);
        }
        seen
    }

    #[test]
    fn a_new_subscriber_starts_from_the_ruleset_and_gets_every_later_change_in_order() {
        let (channel, tally) = channel(3, 16, 8);
        let mut joined = channel.subscribe(None, Flavor::Sdk).unwrap();
        assert_eq!(joined.initial, vec![channel.head().ruleset_event.clone()]);
        assert_eq!(joined.after, 3);
        for revision in [5, 6, 9] {
            channel.publish(head(revision), change(revision));
        }
        assert_eq!(drain(&mut joined.queue), [5, 6, 9]);
        assert_eq!(channel.head().revision, 9);
        assert_eq!(tally.queued.get(), 3);
    }

    #[test]
    fn a_full_queue_drops_only_that_subscriber_and_its_stream_ends_after_what_was_queued() {
        let (channel, tally) = channel(1, 16, 2);
        let mut slow = channel.subscribe(None, Flavor::Sdk).unwrap();
        let mut fast = channel.subscribe(None, Flavor::Sdk).unwrap();
        for revision in 2..=4 {
            channel.publish(head(revision), change(revision));
            assert_eq!(drain(&mut fast.queue), [revision]);
        }
        assert_eq!((tally.queued.get(), tally.dropped.get()), (5, 1));
        assert_eq!(channel.subscribers(), 1);
        assert_eq!(drain(&mut slow.queue), [2, 3]);
        assert!(matches!(
            slow.queue.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        channel.publish(head(5), change(5));
        assert_eq!(drain(&mut fast.queue), [5]);
    }

    #[test]
    fn heartbeats_also_find_slow_subscribers() {
        let (channel, tally) = channel(1, 16, 1);
        let _stuck = channel.subscribe(None, Flavor::Sdk).unwrap();
        let beat = Arc::new(Frame::heartbeat());
        channel.heartbeat(&beat);
        assert_eq!(tally.dropped.get(), 0);
        channel.heartbeat(&beat);
        assert_eq!(tally.dropped.get(), 1);
        assert_eq!(
            tally.queued.get(),
            0,
            "heartbeats are not counted as events"
        );
        assert_eq!(channel.subscribers(), 0);
    }

    #[test]
    fn resuming_replays_exactly_the_missed_changes_or_sends_the_ruleset_when_too_old() {
        let (channel, _) = channel(10, 3, 8);
        for revision in [12, 15, 20, 21] {
            channel.publish(head(revision), change(revision));
        }
        let replayed = channel.subscribe(Some(15), Flavor::Sdk).unwrap();
        assert_eq!(
            replayed.initial,
            vec![change(20).sdk.clone(), change(21).sdk.clone()]
        );
        assert!(
            channel
                .subscribe(Some(21), Flavor::Sdk)
                .unwrap()
                .initial
                .is_empty()
        );
        let too_old = channel.subscribe(Some(10), Flavor::Sdk).unwrap();
        assert_eq!(too_old.initial, vec![channel.head().ruleset_event.clone()]);
        let ahead = channel.subscribe(Some(99), Flavor::Sdk).unwrap();
        assert_eq!(ahead.initial, vec![channel.head().ruleset_event.clone()]);
    }

    #[test]
    fn notification_subscribers_get_one_refetch_for_whatever_they_missed() {
        let (channel, _) = channel(1, 8, 8);
        assert!(
            channel
                .subscribe(None, Flavor::Notify)
                .unwrap()
                .initial
                .is_empty()
        );
        channel.publish(head(2), change(2));
        channel.publish(head(3), change(3));
        let resumed = channel.subscribe(Some(1), Flavor::Notify).unwrap();
        assert_eq!(resumed.initial, vec![frame::refetch(3)]);
    }

    #[test]
    fn closing_ends_every_stream_and_refuses_new_subscribers() {
        let (channel, _) = channel(1, 8, 8);
        let mut joined = channel.subscribe(None, Flavor::Sdk).unwrap();
        channel.close();
        assert!(matches!(
            joined.queue.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(channel.subscribe(None, Flavor::Sdk).is_none());
    }

    #[tokio::test]
    async fn in_a_runtime_a_relay_delivers_in_order_and_drops_slow_subscribers() {
        let (channel, tally) = channel(1, 16, 2);
        let mut slow = channel.subscribe(None, Flavor::Sdk).unwrap();
        let mut fast = channel.subscribe(None, Flavor::Sdk).unwrap();
        for revision in 2..=4 {
            channel.publish(head(revision), change(revision));
            let frame = tokio::time::timeout(std::time::Duration::from_secs(5), fast.queue.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(frame.revision, revision);
        }
        assert_eq!(tally.dropped.get(), 1);
        assert_eq!(drain(&mut slow.queue), [2, 3]);
        let ended =
            tokio::time::timeout(std::time::Duration::from_secs(5), slow.queue.recv()).await;
        assert!(
            ended.unwrap().is_none(),
            "the dropped subscriber's stream ends"
        );
        channel.close();
        let closed =
            tokio::time::timeout(std::time::Duration::from_secs(5), fast.queue.recv()).await;
        assert!(closed.unwrap().is_none());
    }
}
