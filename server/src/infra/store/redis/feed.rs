//! The live feed of the Redis store: every replica reads the shared `changes` stream
//! with blocking reads (on a connection of its own, since a blocked read holds its
//! connection) and publishes each change on its local broadcast channel, in revision
//! order, exactly once.
//!
//! Two paths offer changes to the [`Sequencer`]: this process's own commits, as soon as
//! the script answers (so a writer's change is not held up by the read), and the stream
//! reader, which sees every commit of every replica. The sequencer publishes revision
//! `n + 1` right after `n` and drops what it already published, so the two paths never
//! repeat a change nor reorder the feed. A stream that no longer holds the next
//! revision (trimmed to the retention while this replica was away) is skipped over: the
//! hub sees the gap and reloads everything.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::Value;
use redis::streams::StreamReadReply;
use tokio::sync::broadcast;

use super::keys::revision_of_entry;
use crate::infra::store::{Change, StoreError};

/// How long one blocking read waits for a change before it returns empty-handed (each
/// return counts as contact with the feed).
pub(super) const BLOCK: Duration = Duration::from_secs(1);

/// Most changes one read returns.
const BATCH: usize = 1000;

/// Publishes changes in revision order, each once.
#[derive(Debug)]
pub(super) struct Sequencer {
    state: Mutex<Order>,
    sender: broadcast::Sender<Arc<Change>>,
}

#[derive(Debug, Default)]
struct Order {
    /// The last revision published; `None` until the reader has learnt where the store
    /// stands.
    published: Option<u64>,
    /// Changes offered ahead of their turn.
    pending: BTreeMap<u64, Arc<Change>>,
}

impl Sequencer {
    pub(super) fn new(capacity: usize) -> Sequencer {
        Sequencer {
            state: Mutex::default(),
            sender: broadcast::channel(capacity.max(1)).0,
        }
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.sender.subscribe()
    }

    fn order(&self) -> std::sync::MutexGuard<'_, Order> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The last revision published.
    pub(super) fn published(&self) -> Option<u64> {
        self.order().published
    }

    /// Starts the order at `head`, the store's revision when the reader first reached
    /// it — or just before the first change already offered, so none is lost.
    pub(super) fn start_at(&self, head: u64) {
        let mut order = self.order();
        if order.published.is_none() {
            let first = order.pending.keys().next().map(|r| r - 1);
            order.published = Some(first.map_or(head, |first| first.min(head)));
            self.flush(&mut order);
        }
    }

    /// Offers a change; it is published in its turn, or dropped if it was already.
    pub(super) fn offer(&self, change: Arc<Change>) {
        let mut order = self.order();
        if order.published.is_some_and(|p| change.revision <= p) {
            return;
        }
        order.pending.insert(change.revision, change);
        self.flush(&mut order);
    }

    /// The feed no longer holds the revisions before `next`: publishing goes on from it.
    pub(super) fn skip_to(&self, next: u64) {
        let mut order = self.order();
        if order.published.is_some_and(|p| p + 1 < next) {
            order.published = Some(next - 1);
            order.pending.retain(|revision, _| *revision >= next);
            self.flush(&mut order);
        }
    }

    fn flush(&self, order: &mut Order) {
        let Some(mut published) = order.published else {
            return;
        };
        order.pending.retain(|revision, _| *revision > published);
        while let Some(change) = order.pending.remove(&(published + 1)) {
            published += 1;
            // No subscriber is not an error: the change is in the stream.
            let _ = self.sender.send(change);
        }
        order.published = Some(published);
    }
}

/// The `XREAD` of the changes after `after`, blocking up to [`BLOCK`].
pub(super) fn read_command(stream: &str, after: u64) -> redis::Cmd {
    let mut command = redis::cmd("XREAD");
    command
        .arg("COUNT")
        .arg(BATCH)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS")
        .arg(stream)
        .arg(format!("{after}-0"));
    command
}

/// The changes of one read, in order.
pub(super) fn changes(reply: Option<StreamReadReply>) -> Result<Vec<Arc<Change>>, StoreError> {
    let mut changes = Vec::new();
    for entry in reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
        let revision = revision_of_entry(&entry.id);
        let change = match entry.map.get("change") {
            Some(Value::BulkString(bytes)) => serde_json::from_slice::<Change>(bytes).ok(),
            _ => None,
        };
        match (revision, change) {
            (Some(revision), Some(change)) if change.revision == revision => {
                changes.push(Arc::new(change));
            }
            _ => {
                return Err(StoreError::Backend(
                    format!("change feed entry {} does not read as a change", entry.id).into(),
                ));
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn change(revision: u64) -> Arc<Change> {
        Arc::new(Change {
            revision,
            actor: "test".to_owned(),
            action: "test".to_owned(),
            at: datetime!(2026-01-01 0:00 UTC),
            entries: Vec::new(),
        })
    }

    fn received(feed: &mut broadcast::Receiver<Arc<Change>>) -> Vec<u64> {
        std::iter::from_fn(|| feed.try_recv().ok())
            .map(|c| c.revision)
            .collect()
    }

    #[test]
    fn changes_offered_out_of_order_or_twice_are_published_in_order_once() {
        let sequencer = Sequencer::new(64);
        let mut feed = sequencer.subscribe();
        sequencer.start_at(10);
        for revision in [12, 11, 11, 14, 9, 12, 13, 10] {
            sequencer.offer(change(revision));
        }
        assert_eq!(received(&mut feed), [11, 12, 13, 14]);
        assert_eq!(sequencer.published(), Some(14));
    }

    #[test]
    fn nothing_is_published_before_the_start_and_nothing_offered_is_lost_by_it() {
        let sequencer = Sequencer::new(64);
        let mut feed = sequencer.subscribe();
        sequencer.offer(change(6));
        assert!(received(&mut feed).is_empty());
        // The reader learns the store stands at 6 (the commit above included).
        sequencer.start_at(6);
        assert_eq!(received(&mut feed), [6]);
    }

    #[test]
    fn a_trimmed_stretch_is_skipped_and_publishing_goes_on_after_it() {
        let sequencer = Sequencer::new(64);
        let mut feed = sequencer.subscribe();
        sequencer.start_at(3);
        sequencer.offer(change(9));
        sequencer.skip_to(8);
        sequencer.offer(change(8));
        assert_eq!(received(&mut feed), [8, 9]);
        sequencer.skip_to(5);
        assert_eq!(sequencer.published(), Some(9), "never goes back");
    }
}
