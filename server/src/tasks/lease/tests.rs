//! The lease against a real store (the embedded one, through the `Store` trait): two
//! replicas, one lease, times moved by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use time::macros::datetime;

use super::*;
use crate::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};

const T0: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);
const TTL: Duration = Duration::from_secs(15);
const TASK: &str = "controller";

fn at(seconds: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(seconds)
}

fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    (dir, Arc::new(store))
}

/// A write of the controller's kind, fenced by `check`.
async fn fenced_write(store: &Arc<dyn Store>, check: Check) -> Result<(), StoreError> {
    store
        .commit(Commit {
            actor: "system:controller".to_owned(),
            action: "test.write".to_owned(),
            at: T0,
            writes: vec![Write::put(
                Kind::Meta,
                "decision",
                Expect::Any,
                b"{}".to_vec(),
            )],
            checks: vec![check],
            audited: false,
            expect_revision: None,
        })
        .await
        .map(drop)
}

#[tokio::test]
async fn one_replica_holds_the_lease_and_the_other_waits_for_its_expiry() {
    let (_dir, store) = store();
    let mut a = Lease::new(Arc::clone(&store), TASK, "replica-a", TTL);
    let mut b = Lease::new(Arc::clone(&store), TASK, "replica-b", TTL);
    let held = a
        .refresh(at(0))
        .await
        .unwrap()
        .expect("a takes the free lease");
    assert_eq!(held.term, 1);
    assert_eq!(b.refresh(at(1)).await.unwrap(), None);
    assert_eq!(
        b.next_refresh(),
        Some(at(15)),
        "b retries when the lease lapses"
    );
    assert!(b.fence(at(1)).is_none());
    assert!(a.fence(at(1)).is_some());
}

#[tokio::test]
async fn the_holder_renews_and_stays_leader() {
    let (_dir, store) = store();
    let mut a = Lease::new(Arc::clone(&store), TASK, "replica-a", TTL);
    let mut b = Lease::new(Arc::clone(&store), TASK, "replica-b", TTL);
    let first = a.refresh(at(0)).await.unwrap().unwrap();
    assert_eq!(
        a.refresh(at(2)).await.unwrap(),
        Some(first),
        "not due yet: no write"
    );
    let renewed = a.refresh(at(5)).await.unwrap().unwrap();
    assert!(renewed.version > first.version);
    assert_eq!(renewed.term, first.term);
    // Renewed at 5 s: it lapses at 20 s, so b cannot take it at 16 s.
    assert_eq!(b.refresh(at(16)).await.unwrap(), None);
    let document = store.get(Kind::Lease, TASK).await.unwrap().unwrap();
    let body: LeaseBody = serde_json::from_slice(&document.body).unwrap();
    assert_eq!(
        (body.holder.as_str(), body.expires_at, body.acquired_at),
        ("replica-a", at(20), at(0))
    );
}

#[tokio::test]
async fn a_holder_that_cannot_renew_stops_deciding_before_anyone_may_take_over() {
    let (_dir, store) = store();
    let mut a = Lease::new(Arc::clone(&store), TASK, "replica-a", TTL);
    let held = a.refresh(at(0)).await.unwrap().unwrap();
    assert_eq!(held.valid_until, at(10));
    assert!(a.held(at(9)).is_some());
    assert!(a.held(at(10)).is_none(), "a stops at 10 s");
    // Nobody else may take the lease before it expires at 15 s.
    let mut b = Lease::new(Arc::clone(&store), TASK, "replica-b", TTL);
    assert_eq!(b.refresh(at(14)).await.unwrap(), None);
    assert!(b.refresh(at(15)).await.unwrap().is_some());
}

#[tokio::test]
async fn a_deposed_leaders_late_write_is_refused() {
    let (_dir, store) = store();
    let mut a = Lease::new(Arc::clone(&store), TASK, "replica-a", TTL);
    let mut b = Lease::new(Arc::clone(&store), TASK, "replica-b", TTL);
    a.refresh(at(0)).await.unwrap().unwrap();
    let stale = a.fence(at(1)).unwrap();
    fenced_write(&store, stale.clone())
        .await
        .expect("the holder's write goes through");
    // a stalls (a long pause, a slow query…); b takes over once the lease expired.
    let taken = b.refresh(at(15)).await.unwrap().unwrap();
    assert_eq!(taken.term, 2);
    let refused = fenced_write(&store, stale).await.unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::Conflict {
                kind: Kind::Lease,
                ..
            }
        ),
        "{refused:?}"
    );
    fenced_write(&store, b.fence(at(16)).unwrap())
        .await
        .expect("the new holder writes");
    // a finds out when it tries to renew.
    assert_eq!(a.refresh(at(16)).await.unwrap(), None);
    assert!(a.fence(at(16)).is_none());
}

#[tokio::test]
async fn two_replicas_racing_for_a_free_lease_cannot_both_win() {
    let (_dir, store) = store();
    let mut a = Lease::new(Arc::clone(&store), TASK, "replica-a", TTL);
    let mut b = Lease::new(Arc::clone(&store), TASK, "replica-b", TTL);
    let (ra, rb) = tokio::join!(a.refresh(at(0)), b.refresh(at(0)));
    let winners = [ra.unwrap(), rb.unwrap()]
        .iter()
        .filter(|h| h.is_some())
        .count();
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn an_unreadable_lease_is_taken_over() {
    let (_dir, store) = store();
    store
        .commit(Commit {
            actor: "test".to_owned(),
            action: "test".to_owned(),
            at: T0,
            writes: vec![Write::put(
                Kind::Lease,
                TASK,
                Expect::Absent,
                b"{\"x\":1}".to_vec(),
            )],
            checks: Vec::new(),
            audited: false,
            expect_revision: None,
        })
        .await
        .unwrap();
    let mut a = Lease::new(Arc::clone(&store), TASK, "replica-a", TTL);
    assert!(a.refresh(at(0)).await.unwrap().is_some());
}
