//! The fan-out's guarantees: order, resuming by revision, dropping slow subscribers,
//! closing — with and without a relay.

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
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), slow.queue.recv()).await;
    assert!(
        ended.unwrap().is_none(),
        "the dropped subscriber's stream ends"
    );
    channel.close();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), fast.queue.recv()).await;
    assert!(closed.unwrap().is_none());
}
