//! Contract: the change feed, live (`subscribe`) and replayed (`changes_since`), and
//! the two together when a reader resumes from the last revision it saw.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rollgate_server::infra::store::{Change, ChangesSince, Expect, Kind, Store, Write};
use serde_json::json;
use tokio::sync::broadcast;

use super::{SMALL_RETENTION, commit, put, put_one, revisions};

/// A guard against a hung test, not a synchronisation: every awaited change was
/// committed before the wait starts, or is being committed by a running task.
const PATIENCE: Duration = Duration::from_secs(30);

async fn next(feed: &mut broadcast::Receiver<Arc<Change>>) -> Arc<Change> {
    tokio::time::timeout(PATIENCE, feed.recv())
        .await
        .expect("the change feed went quiet")
        .expect("the change feed closed or lagged")
}

async fn since(store: &dyn Store, after: u64, limit: usize) -> Vec<Arc<Change>> {
    match store.changes_since(after, limit).await.unwrap() {
        ChangesSince::Changes(changes) => changes,
        ChangesSince::TooOld { oldest } => panic!("too old after {after}: oldest {oldest}"),
    }
}

pub async fn subscribers_see_one_change_per_commit_in_revision_order(store: Arc<dyn Store>) {
    const TASKS: usize = 4;
    const COMMITS_EACH: usize = 10;
    let mut feed = store.subscribe();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut changes = Vec::new();
            for n in 0..COMMITS_EACH {
                let key = format!("t{task}-{n}");
                changes.push(put_one(&*store, Kind::Flag, &key, json!(n)).await);
            }
            changes
        }));
    }
    let mut committed = BTreeMap::new();
    for task in tasks {
        for change in task.await.unwrap() {
            committed.insert(change.revision, change);
        }
    }
    let mut received = Vec::new();
    for _ in 0..TASKS * COMMITS_EACH {
        received.push(next(&mut feed).await);
    }
    let expected: Vec<u64> = (1..=(TASKS * COMMITS_EACH) as u64).collect();
    assert_eq!(revisions(&received), expected);
    for change in &received {
        assert_eq!(change, &committed[&change.revision], "published ≠ returned");
    }
    assert!(feed.try_recv().is_err(), "more than one event for a commit");
}

pub async fn changes_since_returns_exactly_the_changes_after_a_revision(store: Arc<dyn Store>) {
    let mut committed = Vec::new();
    for n in 1..=6 {
        let writes = vec![
            put(Kind::Flag, "f", Expect::Any, json!({"n": n})),
            Write::put(Kind::Segment, "s", Expect::Any, b" \n[1,  2]\n ".to_vec()),
        ];
        committed.push(store.commit(commit(writes)).await.unwrap());
    }
    assert_eq!(since(&*store, 0, 100).await, committed);
    assert_eq!(since(&*store, 4, 100).await, committed[4..]);
    assert_eq!(since(&*store, 1, 2).await, committed[1..3]);
    assert_eq!(since(&*store, 6, 100).await, []);
    assert_eq!(since(&*store, 60, 100).await, []);
    let segment = store.get(Kind::Segment, "s").await.unwrap().unwrap();
    let logged = committed[5].entries[1].body.clone().unwrap();
    assert_eq!(&*segment.body, &*logged, "document and change disagree");
}

pub async fn changes_since_is_too_old_once_the_next_change_was_pruned(store: Arc<dyn Store>) {
    let mut committed = Vec::new();
    for n in 0..7 {
        committed.push(put_one(&*store, Kind::Flag, "f", json!(n)).await);
    }
    let oldest = 7 - SMALL_RETENTION + 1;
    for after in [0, 1, oldest - 2] {
        match store.changes_since(after, 100).await.unwrap() {
            ChangesSince::TooOld { oldest: found } => assert_eq!(found, oldest),
            ChangesSince::Changes(changes) => {
                panic!("after {after}: got {:?}", revisions(&changes))
            }
        }
    }
    assert_eq!(since(&*store, oldest - 1, 100).await, committed[4..]);
    assert_eq!(since(&*store, 7, 100).await, []);
}

pub async fn a_subscriber_resuming_from_a_revision_misses_and_repeats_nothing(
    store: Arc<dyn Store>,
) {
    const BEFORE: u64 = 4;
    const DURING: u64 = 20;
    for n in 0..BEFORE {
        put_one(&*store, Kind::Flag, "f", json!(n)).await;
    }
    let last_seen = 2;

    // The resume protocol: subscribe first, then replay, then skip what was replayed.
    let mut feed = store.subscribe();
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for n in 0..DURING {
                put_one(&*store, Kind::Segment, &format!("s{n}"), json!(n)).await;
            }
        })
    };
    let mut seen: Vec<u64> = revisions(&since(&*store, last_seen, 1000).await);
    let mut last = seen.last().copied().unwrap_or(last_seen);
    while last < BEFORE + DURING {
        let change = next(&mut feed).await;
        if change.revision > last {
            seen.push(change.revision);
            last = change.revision;
        }
    }
    writer.await.unwrap();
    let expected: Vec<u64> = (last_seen + 1..=BEFORE + DURING).collect();
    assert_eq!(seen, expected);
}
