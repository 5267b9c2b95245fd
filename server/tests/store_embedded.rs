//! The embedded store: the shared contract, plus what only a file-backed store has —
//! persistence across close and reopen, the data directory, the file lock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

mod store_contract;

use std::sync::Arc;

use rollgate_server::infra::store::embedded::{DATABASE_FILE, EmbeddedOptions, EmbeddedStore};
use rollgate_server::infra::store::{AuditQuery, ChangesSince, Expect, Kind, Store, StoreError};
use serde_json::json;
use store_contract::{Fresh, commit, put, store_contract_tests};

async fn fresh(retention: u64) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let options = EmbeddedOptions {
        retention,
        ..EmbeddedOptions::default()
    };
    let store = EmbeddedStore::open(dir.path(), options).unwrap();
    Fresh {
        store: Arc::new(store),
        keep: Box::new(dir),
    }
}

store_contract_tests!(fresh);

#[tokio::test]
async fn everything_committed_is_there_after_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let options = || EmbeddedOptions {
        retention: 2,
        ..EmbeddedOptions::default()
    };
    {
        let store = EmbeddedStore::open(&data, options()).unwrap();
        assert_eq!(store.path(), data.join(DATABASE_FILE));
        assert!(!store.repaired_on_open());
        for n in 1..=3 {
            let write = put(Kind::Flag, "f", Expect::Any, json!({"n": n}));
            store.commit(commit(vec![write])).await.unwrap();
        }
        let lease = put(Kind::Lease, "controller", Expect::Absent, json!("me"));
        let mut unaudited = commit(vec![lease]);
        unaudited.audited = false;
        store.commit(unaudited).await.unwrap();
    }

    let store = EmbeddedStore::open(&data, options()).unwrap();
    assert!(!store.repaired_on_open(), "a clean close needs no repair");
    assert_eq!(store.revision().await.unwrap(), 4);
    let flag = store.get(Kind::Flag, "f").await.unwrap().unwrap();
    assert_eq!((flag.version, flag.revision), (3, 3));
    assert_eq!(flag.body.as_ref(), br#"{"n":3}"#);
    assert!(
        store
            .get(Kind::Lease, "controller")
            .await
            .unwrap()
            .is_some()
    );
    match store.changes_since(0, 10).await.unwrap() {
        ChangesSince::TooOld { oldest } => assert_eq!(oldest, 3),
        ChangesSince::Changes(changes) => panic!("{} changes kept beyond retention", changes.len()),
    }
    let audit = store.audit(AuditQuery::default()).await.unwrap();
    assert_eq!(audit.len(), 3);

    let next = put(Kind::Flag, "f", Expect::Version(3), json!({"n": 4}));
    let change = store.commit(commit(vec![next])).await.unwrap();
    assert_eq!((change.revision, change.entries[0].version), (5, 4));
}

#[tokio::test]
async fn a_store_already_open_is_refused_rather_than_shared() {
    let dir = tempfile::tempdir().unwrap();
    let _open = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let second = EmbeddedStore::open(dir.path(), EmbeddedOptions::default());
    // Unavailable, not broken: it opens once the other process lets go, and the
    // message says who holds it.
    match second {
        Err(StoreError::Unavailable(why)) => {
            assert!(why.contains("in use by another process"), "{why}");
        }
        Err(other) => panic!("expected the store to be refused as in use, got {other:?}"),
        Ok(_) => panic!("a second process opened the store"),
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DATABASE_FILE), b"not a database, just text").unwrap();
    let opened = EmbeddedStore::open(dir.path(), EmbeddedOptions::default());
    assert!(matches!(opened, Err(StoreError::Backend(_))));
}
