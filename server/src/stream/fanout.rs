//! Fan-out of one environment's events to its subscribers.
//!
//! A publication is turned into SSE bytes once ([`Frame`]) and handed to every subscriber
//! as a reference-counted pointer through a bounded queue (`try_send`): the publisher
//! never waits for a client. A client whose queue is full has fallen too far behind; it
//! is dropped — its queue's sender goes away, so its stream ends after what was already
//! queued — and it reconnects with `Last-Event-ID` to resume by revision.
//!
//! Subscribing reads the head and registers the queue under the same lock that
//! publication holds, so a new subscriber gets every event after the head it was given,
//! none twice. The last `history` events are kept for subscribers that resume.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use bytes::Bytes;
use tokio::sync::mpsc;

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
        Head {
            revision,
            ruleset_event: frame::event("ruleset", revision, &ruleset),
            ruleset,
            etag: format!("\"{revision}\""),
        }
    }
}

/// How a publication or heartbeat went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Subscribers the frame was queued for.
    pub queued: u64,
    /// Subscribers dropped because their queue was full.
    pub dropped: u64,
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
    subscribers: Vec<mpsc::Sender<Arc<Frame>>>,
    closed: bool,
}

/// One environment's head, recent history and subscribers.
#[derive(Debug)]
pub struct Channel {
    head: ArcSwap<Head>,
    state: Mutex<State>,
    history: usize,
    buffer: usize,
}

/// What a new subscriber gets: the frames to send first, then its queue.
#[derive(Debug)]
pub struct Joined {
    /// Sent before anything from the queue (a ruleset, or replayed changes).
    pub initial: Vec<Bytes>,
    /// Everything published after the head the subscriber was given.
    pub queue: mpsc::Receiver<Arc<Frame>>,
}

impl Channel {
    /// A channel starting at `head`; keeps `history` events; queues up to `buffer`
    /// frames per subscriber.
    pub fn new(head: Head, history: usize, buffer: usize) -> Channel {
        Channel {
            head: ArcSwap::from_pointee(head),
            state: Mutex::new(State {
                history: VecDeque::with_capacity(history.min(1024)),
                subscribers: Vec::new(),
                closed: false,
            }),
            history,
            buffer: buffer.max(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current head, without locking.
    pub fn head(&self) -> Arc<Head> {
        self.head.load_full()
    }

    /// Number of subscribers.
    pub fn subscribers(&self) -> usize {
        self.state().subscribers.len()
    }

    /// Moves the head and queues `frame` for every subscriber.
    pub fn publish(&self, head: Head, frame: Arc<Frame>) -> Delivery {
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
        deliver(&mut state.subscribers, &frame)
    }

    /// Queues a heartbeat for every subscriber (a client that cannot take it is as slow
    /// as one that cannot take a change, and is dropped the same way).
    pub fn heartbeat(&self, frame: &Arc<Frame>) -> Delivery {
        deliver(&mut self.state().subscribers, frame)
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
        state.subscribers.push(sender);
        Some(Joined { initial, queue })
    }

    /// Ends every subscriber's stream (after what is queued) and refuses new ones.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        state.subscribers.clear();
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

fn deliver(subscribers: &mut Vec<mpsc::Sender<Arc<Frame>>>, frame: &Arc<Frame>) -> Delivery {
    let mut delivery = Delivery::default();
    subscribers.retain(|sender| match sender.try_send(Arc::clone(frame)) {
        Ok(()) => {
            delivery.queued += 1;
            true
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            delivery.dropped += 1;
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
    delivery
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

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
        let channel = Channel::new(head(3), 16, 8);
        let mut joined = channel.subscribe(None, Flavor::Sdk).unwrap();
        assert_eq!(joined.initial, vec![channel.head().ruleset_event.clone()]);
        for revision in [5, 6, 9] {
            channel.publish(head(revision), change(revision));
        }
        assert_eq!(drain(&mut joined.queue), [5, 6, 9]);
        assert_eq!(channel.head().revision, 9);
    }

    #[test]
    fn a_full_queue_drops_only_that_subscriber_and_its_stream_ends_after_what_was_queued() {
        let channel = Channel::new(head(1), 16, 2);
        let mut slow = channel.subscribe(None, Flavor::Sdk).unwrap();
        let mut fast = channel.subscribe(None, Flavor::Sdk).unwrap();
        let mut deliveries = Vec::new();
        for revision in 2..=4 {
            deliveries.push(channel.publish(head(revision), change(revision)));
            assert_eq!(drain(&mut fast.queue), [revision]);
        }
        assert_eq!(
            deliveries[0],
            Delivery {
                queued: 2,
                dropped: 0
            }
        );
        assert_eq!(
            deliveries[2],
            Delivery {
                queued: 1,
                dropped: 1
            }
        );
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
        let channel = Channel::new(head(1), 16, 1);
        let _stuck = channel.subscribe(None, Flavor::Sdk).unwrap();
        let beat = Arc::new(Frame::heartbeat());
        assert_eq!(
            channel.heartbeat(&beat),
            Delivery {
                queued: 1,
                dropped: 0
            }
        );
        assert_eq!(
            channel.heartbeat(&beat),
            Delivery {
                queued: 0,
                dropped: 1
            }
        );
        assert_eq!(channel.subscribers(), 0);
    }

    #[test]
    fn resuming_replays_exactly_the_missed_changes_or_sends_the_ruleset_when_too_old() {
        let channel = Channel::new(head(10), 3, 8);
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
        let channel = Channel::new(head(1), 8, 8);
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
        let channel = Channel::new(head(1), 8, 8);
        let mut joined = channel.subscribe(None, Flavor::Sdk).unwrap();
        channel.close();
        assert!(matches!(
            joined.queue.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(channel.subscribe(None, Flavor::Sdk).is_none());
    }
}
