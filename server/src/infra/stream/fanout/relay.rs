//! The per-worker relay: a channel's subscribers are grouped by the worker thread that
//! serves them, and each group's relay task queues a published frame to its subscribers
//! on that thread — one cross-thread wake-up per worker instead of one per client. Each
//! client's queue is bounded; a client whose queue is full is dropped ([`deliver`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use tokio::sync::{Notify, mpsc};

use super::{Frame, Tally};

/// The subscribers served by one thread, and the relay that feeds them there.
#[derive(Debug)]
pub(super) struct Group {
    pub(super) thread: ThreadId,
    /// Whether a relay task runs for this group (else publication delivers directly).
    pub(super) relayed: bool,
    pub(super) inbox: Mutex<Inbox>,
    pub(super) subscribers: Mutex<Vec<mpsc::Sender<Arc<Frame>>>>,
    pub(super) wake: Notify,
}

#[derive(Debug, Default)]
pub(super) struct Inbox {
    frames: Vec<Arc<Frame>>,
    closed: bool,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Group {
    /// Hands `frame` to this group's subscribers (through the relay when there is one).
    pub(super) fn send(&self, frame: &Arc<Frame>, tally: &Tally) {
        if self.relayed {
            lock(&self.inbox).frames.push(Arc::clone(frame));
            self.wake.notify_one();
        } else {
            deliver(&mut lock(&self.subscribers), frame, tally);
        }
    }

    pub(super) fn close(&self) {
        lock(&self.inbox).closed = true;
        lock(&self.subscribers).clear();
        self.wake.notify_one();
    }

    /// The relay: runs on the group's thread until the channel closes.
    pub(super) async fn relay(self: Arc<Group>, tally: Tally) {
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

/// Queues `frame` to every subscriber that can take it: a full queue drops its
/// subscriber, a closed one (the client went away) is forgotten.
pub(super) fn deliver(
    subscribers: &mut Vec<mpsc::Sender<Arc<Frame>>>,
    frame: &Arc<Frame>,
    tally: &Tally,
) {
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
