//! Three replicas on one Redis: a write through one reaches the SDK streams of the
//! others; revisions are global, so a client that moves from one replica to another
//! resumes with `Last-Event-ID` and misses and repeats nothing; a replica killed with
//! SIGKILL in the middle of writes loses none that were acknowledged.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use rollgate_e2e::{ADMIN_TOKEN, wait};
use serde_json::Value;

use super::support::{Cluster, bulk_etag, flag};
use crate::sdk::support::{DEADLINE, RawStream, put_flag};

/// The flag key and revision of a `change` event.
fn change(event: &rollgate_sdk::sse::Event) -> (String, u64) {
    assert_eq!(event.name, "change", "{event:?}");
    let data: Value = serde_json::from_str(&event.data).unwrap();
    let key = data["flags"][0]["key"].as_str().unwrap().to_owned();
    (key, event.id.as_deref().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_replica_reaches_the_streams_of_the_others_and_a_moving_client_misses_and_repeats_nothing()
 {
    let cluster = Cluster::start(3, &[]).await;
    let [a, b, c] = &cluster.replicas[..] else {
        unreachable!()
    };
    let key = a.sdk_key("production").await;
    cluster.converged(0).await;

    let mut on_b = RawStream::open(b, "/sdk/v1/stream", Some(&key), &[]).await;
    let mut on_c = RawStream::open(c, "/sdk/v1/stream", Some(&key), &[]).await;
    for stream in [&mut on_b, &mut on_c] {
        let ruleset = stream.next().await.unwrap();
        assert_eq!(ruleset.name, "ruleset");
    }
    // Writes through A reach the streams of B and C, each once, in order.
    let mut written = Vec::new();
    for n in 0..3 {
        let key = format!("f{n}");
        let revision = put_flag(a, flag(&key, n)).await;
        written.push((key, revision));
    }
    for stream in [&mut on_b, &mut on_c] {
        for expected in &written {
            assert_eq!(&change(&stream.next().await.unwrap()), expected);
        }
    }
    drop(on_c);

    // The client on B moves to C: what was written meanwhile (through A and B) comes
    // from C, exactly once.
    let (_, last_seen) = written.last().cloned().unwrap();
    drop(on_b);
    let mut missed = Vec::new();
    for (n, through) in [(3, a), (4, b), (5, a)] {
        let key = format!("f{n}");
        let revision = put_flag(through, flag(&key, n)).await;
        missed.push((key, revision));
    }
    let from = last_seen.to_string();
    let mut moved =
        RawStream::open(c, "/sdk/v1/stream", Some(&key), &[("Last-Event-ID", &from)]).await;
    for expected in &missed {
        assert_eq!(&change(&moved.next().await.unwrap()), expected);
    }
    assert!(
        moved.quiet_for_heartbeats(2).await.is_none(),
        "a change was repeated"
    );
    let revision = put_flag(b, flag("f6", 6)).await;
    assert_eq!(
        change(&moved.next().await.unwrap()),
        ("f6".to_owned(), revision)
    );

    cluster.converged(revision).await;
    let etags =
        futures_util::future::join_all(cluster.replicas.iter().map(|r| bulk_etag(r, &key))).await;
    assert!(etags.iter().all(|e| *e == etags[0]), "{etags:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_in_the_middle_of_writes_loses_none_it_acknowledged() {
    let mut cluster = Cluster::start(3, &[]).await;
    let urls: Vec<String> = cluster.replicas.iter().map(|r| r.url.clone()).collect();
    let http = reqwest::Client::new();
    let acknowledged = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (acknowledged, attempts) = (Arc::clone(&acknowledged), Arc::clone(&attempts));
        tokio::spawn(async move {
            for n in 0..90u64 {
                attempts.fetch_add(1, Ordering::SeqCst);
                let key = format!("w{n}");
                let sent = http
                    .put(format!("{}/api/v1/flags/{key}", urls[n as usize % 3]))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&flag(&key, n))
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status() == StatusCode::CREATED) {
                    acknowledged.lock().unwrap().insert(key);
                }
            }
        })
    };
    wait::until(DEADLINE, "a third of the writes sent", || async {
        let sent = attempts.load(Ordering::SeqCst);
        wait::holds(sent >= 30, || format!("{sent} sent"))
    })
    .await;
    let killed = cluster.replicas.pop().unwrap();
    killed.kill().await;
    writer.await.unwrap();

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 60,
        "{} acknowledged",
        acknowledged.len()
    );
    for survivor in &cluster.replicas {
        let keys: BTreeSet<String> = survivor.keys("/api/v1/flags").await.into_iter().collect();
        let lost: Vec<&String> = acknowledged.difference(&keys).collect();
        assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    }
}
