//! The Redis store: the shared contract against a real `redis-server` (started per test
//! on a free port, `appendonly yes`, `appendfsync always`), plus what only a shared,
//! remote store has — several processes on one Redis, Redis killed and restarted from
//! its append-only file, calls that give up at their deadline while Redis is down.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

mod store_contract;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rollgate_e2e::redis::RedisServer;
use rollgate_e2e::wait;
use rollgate_server::infra::store::redis::{RedisOptions, RedisStore};
use rollgate_server::infra::store::{ChangesSince, Kind, Store, StoreError};
use serde_json::json;
use store_contract::{Fresh, put_one, store_contract_tests};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A store on `redis` with its feed running; the feed stops when the handle's sender is
/// dropped.
struct Replica {
    store: RedisStore,
    stop: watch::Sender<bool>,
    feed: JoinHandle<()>,
}

fn options(redis: &RedisServer, retention: u64) -> RedisOptions {
    RedisOptions {
        url: redis.url(),
        password: None,
        prefix: "rollgate".to_owned(),
        timeout: Duration::from_millis(500),
        retention,
        feed_capacity: 4096,
    }
}

fn replica(redis: &RedisServer, retention: u64) -> Replica {
    let store = RedisStore::open(options(redis, retention)).unwrap();
    let (stop, stopped) = watch::channel(false);
    let feed = {
        let store = store.clone();
        tokio::spawn(async move { store.run_feed(stopped).await })
    };
    Replica { store, stop, feed }
}

impl Replica {
    async fn stop(self) -> RedisStore {
        self.stop.send(true).unwrap();
        self.feed.await.unwrap();
        self.store
    }
}

async fn fresh(retention: u64) -> Fresh {
    let redis = RedisServer::start().await;
    let Replica { store, stop, feed } = replica(&redis, retention);
    Fresh {
        store: Arc::new(store),
        keep: Box::new((redis, stop, feed)),
    }
}

store_contract_tests!(fresh);

/// A guard against a hung test, not a synchronisation.
const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_through_one_process_reaches_the_feed_of_another_with_one_revision_order() {
    let redis = RedisServer::start().await;
    let (a, b) = (replica(&redis, 1000), replica(&redis, 1000));
    let mut feed_a = a.store.subscribe();
    let mut feed_b = b.store.subscribe();
    let mut committed = Vec::new();
    for n in 0..10u64 {
        let through = if n % 2 == 0 { &a.store } else { &b.store };
        let change = put_one(through, Kind::Flag, &format!("f{n}"), json!(n)).await;
        committed.push(change);
    }
    let revisions: Vec<u64> = committed.iter().map(|c| c.revision).collect();
    assert_eq!(
        revisions,
        (1..=10).collect::<Vec<_>>(),
        "revisions are global"
    );
    for feed in [&mut feed_a, &mut feed_b] {
        for expected in &committed {
            let got = tokio::time::timeout(PATIENCE, feed.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&got, expected);
        }
        assert!(feed.try_recv().is_err(), "a change was published twice");
    }
    for store in [&a.store, &b.store] {
        assert_eq!(store.revision().await.unwrap(), 10);
        assert_eq!(store.feed_status().head, 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_commit_survives_redis_killed_and_restarted_from_its_log() {
    let mut redis = RedisServer::start().await;
    let writer = replica(&redis, 1000);
    for n in 0..50u64 {
        put_one(
            &writer.store,
            Kind::Flag,
            &format!("f{n}"),
            json!({ "n": n }),
        )
        .await;
    }
    redis.kill();
    let started = Instant::now();
    let down = writer.store.get(Kind::Flag, "f0").await;
    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");
    let down = writer
        .store
        .commit(store_contract::commit(vec![store_contract::put(
            Kind::Flag,
            "lost",
            rollgate_server::infra::store::Expect::Any,
            json!(1),
        )]))
        .await;
    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "calls to a dead Redis hung for {:?}",
        started.elapsed()
    );
    assert!(!writer.store.feed_status().available);

    redis.restart().await;
    let store = wait::until(PATIENCE, "the store to reach Redis again", || async {
        writer.store.revision().await.map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(store, 50, "every acknowledged commit, and nothing else");
    let flags = writer.store.list(Kind::Flag).await.unwrap();
    assert_eq!(flags.len(), 50);
    assert!(flags.iter().all(|f| f.version == 1));
    let change = put_one(&writer.store, Kind::Flag, "after", json!(1)).await;
    assert_eq!(change.revision, 51);
    writer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_that_fell_behind_the_retention_sees_the_gap_and_changes_since_says_too_old() {
    let redis = RedisServer::start().await;
    let writer = replica(&redis, 3);
    let away = replica(&redis, 3);
    let mut feed = away.store.subscribe();
    put_one(&writer.store, Kind::Flag, "first", json!(1)).await;
    let first = tokio::time::timeout(PATIENCE, feed.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.revision, 1);
    let store = away.stop().await;
    for n in 0..10u64 {
        put_one(&writer.store, Kind::Flag, "busy", json!(n)).await;
    }
    match store.changes_since(1, 100).await.unwrap() {
        ChangesSince::TooOld { oldest } => assert_eq!(oldest, 9),
        ChangesSince::Changes(changes) => panic!("{} changes beyond retention", changes.len()),
    }
    let (stop, stopped) = watch::channel(false);
    let feed_task = {
        let store = store.clone();
        tokio::spawn(async move { store.run_feed(stopped).await })
    };
    let next = tokio::time::timeout(PATIENCE, feed.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        next.revision, 9,
        "the feed resumes at the oldest change kept"
    );
    stop.send(true).unwrap();
    feed_task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_while_redis_is_down_answers_unavailable_and_works_once_it_is_up() {
    let mut redis = RedisServer::start().await;
    redis.kill();
    let replica = replica(&redis, 100);
    assert!(matches!(
        replica.store.revision().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(replica.store.feed_status().last_contact.is_none());
    redis.restart().await;
    wait::until(PATIENCE, "the feed to reach Redis", || async {
        wait::holds(
            replica.store.feed_status().last_contact.is_some(),
            || "no contact yet",
        )
    })
    .await;
    let change = put_one(&replica.store, Kind::Segment, "s", json!({})).await;
    assert_eq!(change.revision, 1);
    replica.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_copied_from_embedded_to_redis_and_back_is_the_same_store() {
    use rollgate_server::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};
    let dir = tempfile::tempdir().unwrap();
    let source = EmbeddedStore::open(&dir.path().join("a"), EmbeddedOptions::default()).unwrap();
    for n in 0..20u64 {
        put_one(
            &source,
            Kind::Flag,
            &format!("f{}", n % 7),
            json!({ "n": n }),
        )
        .await;
    }
    let redis = RedisServer::start().await;
    let middle = replica(&redis, 100);
    let dump = source.dump().await.unwrap();
    middle.store.restore(&dump).await.unwrap();
    let back = EmbeddedStore::open(&dir.path().join("b"), EmbeddedOptions::default()).unwrap();
    back.restore(&middle.store.dump().await.unwrap())
        .await
        .unwrap();
    let again = back.dump().await.unwrap();
    assert_eq!(again.revision, 20);
    assert_eq!(again.audit, dump.audit);
    let versions = |dump: &rollgate_server::infra::store::Dump| {
        let mut rows: Vec<_> = dump
            .documents
            .iter()
            .map(|d| (d.key.clone(), d.version, d.revision, d.body.to_vec()))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(versions(&again), versions(&dump));
    middle.stop().await;
}
