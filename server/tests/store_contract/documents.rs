//! Contract: documents, versions, compare-and-set, checks, deletes and revisions.

use std::sync::Arc;

use rollgate_server::infra::store::{ChangesSince, Check, Expect, Kind, Store, StoreError, Write};
use serde_json::json;

use super::{body, commit, put, put_one};

/// Asserts that `result` is the conflict described.
#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    kind: Kind,
    key: &str,
    expected: Expect,
    found: Option<u64>,
) {
    match result {
        Err(StoreError::Conflict {
            kind: k,
            key: got_key,
            expected: e,
            found: f,
        }) => assert_eq!((k, got_key.as_str(), e, f), (kind, key, expected, found)),
        other => panic!("expected a conflict on {kind} {key:?}, got {other:?}"),
    }
}

pub async fn an_empty_store_has_revision_zero_and_nothing_in_it(store: Arc<dyn Store>) {
    assert_eq!(store.revision().await.unwrap(), 0);
    assert!(store.get(Kind::Flag, "nothing").await.unwrap().is_none());
    assert!(store.list(Kind::Flag).await.unwrap().is_empty());
    match store.changes_since(0, 100).await.unwrap() {
        ChangesSince::Changes(changes) => assert!(changes.is_empty()),
        ChangesSince::TooOld { oldest } => panic!("too old ({oldest}) on an empty store"),
    }
    let audit = store.audit(Default::default()).await.unwrap();
    assert!(audit.is_empty());
}

pub async fn created_documents_read_back_and_list_in_key_order(store: Arc<dyn Store>) {
    for key in ["b", "a", "c"] {
        put_one(&*store, Kind::Flag, key, json!({"name": key})).await;
    }
    put_one(&*store, Kind::Segment, "a", json!({"segment": true})).await;
    put_one(&*store, Kind::Environment, "z", json!({"env": true})).await;

    let flag = store.get(Kind::Flag, "a").await.unwrap().unwrap();
    assert_eq!((flag.kind, flag.key.as_str()), (Kind::Flag, "a"));
    assert_eq!((flag.version, flag.revision), (1, 2));
    assert_eq!(body(&flag), json!({"name": "a"}));
    assert!(store.get(Kind::Flag, "d").await.unwrap().is_none());
    assert!(store.get(Kind::Release, "a").await.unwrap().is_none());

    let flags = store.list(Kind::Flag).await.unwrap();
    let keys: Vec<&str> = flags.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    let segments = store.list(Kind::Segment).await.unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!(body(&segments[0]), json!({"segment": true}));
}

pub async fn versions_start_at_one_and_grow_by_one_per_write(store: Arc<dyn Store>) {
    for n in 1..=3 {
        let change = put_one(&*store, Kind::Flag, "f", json!({"n": n})).await;
        assert_eq!(change.entries[0].version, n);
        let flag = store.get(Kind::Flag, "f").await.unwrap().unwrap();
        assert_eq!((flag.version, flag.revision), (n, change.revision));
        assert_eq!(body(&flag), json!({"n": n}));
    }
}

pub async fn expect_absent_conflicts_when_present_and_writes_nothing(store: Arc<dyn Store>) {
    let create = || commit(vec![put(Kind::Flag, "f", Expect::Absent, json!(1))]);
    store.commit(create()).await.unwrap();
    assert_conflict(
        store.commit(create()).await,
        Kind::Flag,
        "f",
        Expect::Absent,
        Some(1),
    );
    let flag = store.get(Kind::Flag, "f").await.unwrap().unwrap();
    assert_eq!((flag.version, body(&flag)), (1, json!(1)));
    assert_eq!(store.revision().await.unwrap(), 1);
}

pub async fn expect_present_conflicts_when_absent(store: Arc<dyn Store>) {
    let update = || commit(vec![put(Kind::Flag, "f", Expect::Present, json!(2))]);
    assert_conflict(
        store.commit(update()).await,
        Kind::Flag,
        "f",
        Expect::Present,
        None,
    );
    assert!(store.get(Kind::Flag, "f").await.unwrap().is_none());
    put_one(&*store, Kind::Flag, "f", json!(1)).await;
    let change = store.commit(update()).await.unwrap();
    assert_eq!(change.entries[0].version, 2);
}

pub async fn expect_version_conflicts_on_any_other_version(store: Arc<dyn Store>) {
    let at = |v| commit(vec![put(Kind::Flag, "f", Expect::Version(v), json!(v))]);
    assert_conflict(
        store.commit(at(1)).await,
        Kind::Flag,
        "f",
        Expect::Version(1),
        None,
    );
    put_one(&*store, Kind::Flag, "f", json!(0)).await;
    put_one(&*store, Kind::Flag, "f", json!(0)).await;
    for stale in [1, 3] {
        assert_conflict(
            store.commit(at(stale)).await,
            Kind::Flag,
            "f",
            Expect::Version(stale),
            Some(2),
        );
    }
    let change = store.commit(at(2)).await.unwrap();
    assert_eq!(change.entries[0].version, 3);
    assert_eq!(store.revision().await.unwrap(), 3);
}

pub async fn a_failing_write_leaves_the_whole_commit_unwritten(store: Arc<dyn Store>) {
    put_one(&*store, Kind::Segment, "taken", json!("old")).await;
    let mut feed = store.subscribe();
    let result = store
        .commit(commit(vec![
            put(Kind::Flag, "new", Expect::Absent, json!("first")),
            put(Kind::Segment, "taken", Expect::Absent, json!("second")),
        ]))
        .await;
    assert_conflict(result, Kind::Segment, "taken", Expect::Absent, Some(1));
    assert!(store.get(Kind::Flag, "new").await.unwrap().is_none());
    let taken = store.get(Kind::Segment, "taken").await.unwrap().unwrap();
    assert_eq!((taken.version, body(&taken)), (1, json!("old")));
    assert_eq!(store.revision().await.unwrap(), 1);
    assert!(
        feed.try_recv().is_err(),
        "a refused commit published a change"
    );
    let audit = store.audit(Default::default()).await.unwrap();
    assert_eq!(audit.len(), 1, "a refused commit left audit events");
}

pub async fn checks_guard_documents_the_commit_does_not_write(store: Arc<dyn Store>) {
    put_one(&*store, Kind::Segment, "beta", json!({})).await;
    let guarded = |kind, key: &str, expect| {
        let mut c = commit(vec![put(Kind::Flag, "f", Expect::Any, json!(true))]);
        c.checks.push(Check {
            kind,
            key: key.to_owned(),
            expect,
        });
        c
    };
    let refused = [
        (Kind::Segment, "gone", Expect::Present, None),
        (Kind::Segment, "beta", Expect::Absent, Some(1)),
        (Kind::Segment, "beta", Expect::Version(2), Some(1)),
    ];
    for (kind, key, expect, found) in refused {
        assert_conflict(
            store.commit(guarded(kind, key, expect)).await,
            kind,
            key,
            expect,
            found,
        );
        assert!(store.get(Kind::Flag, "f").await.unwrap().is_none());
    }
    store
        .commit(guarded(Kind::Segment, "beta", Expect::Version(1)))
        .await
        .unwrap();
    let change = store
        .commit(guarded(Kind::Segment, "gone", Expect::Absent))
        .await
        .unwrap();
    assert_eq!(change.entries.len(), 1, "a check is not an entry");
    assert_eq!(store.revision().await.unwrap(), 3);
}

pub async fn delete_removes_and_reports_the_deleted_version(store: Arc<dyn Store>) {
    put_one(&*store, Kind::Flag, "f", json!(1)).await;
    put_one(&*store, Kind::Flag, "f", json!(2)).await;
    let delete = |expect| commit(vec![Write::delete(Kind::Flag, "f", expect)]);
    assert_conflict(
        store.commit(delete(Expect::Version(1))).await,
        Kind::Flag,
        "f",
        Expect::Version(1),
        Some(2),
    );
    let change = store.commit(delete(Expect::Version(2))).await.unwrap();
    assert_eq!(change.entries.len(), 1);
    assert_eq!(change.entries[0].version, 2);
    assert_eq!(change.entries[0].body, None);
    assert!(store.get(Kind::Flag, "f").await.unwrap().is_none());
    assert!(store.list(Kind::Flag).await.unwrap().is_empty());
    assert_conflict(
        store.commit(delete(Expect::Present)).await,
        Kind::Flag,
        "f",
        Expect::Present,
        None,
    );

    let recreated = put_one(&*store, Kind::Flag, "f", json!(3)).await;
    assert_eq!(
        recreated.entries[0].version, 1,
        "a new document starts again"
    );
}

pub async fn deleting_an_absent_document_takes_a_revision_without_entries(store: Arc<dyn Store>) {
    for expect in [Expect::Any, Expect::Absent] {
        let change = store
            .commit(commit(vec![Write::delete(Kind::Flag, "never", expect)]))
            .await
            .unwrap();
        assert!(change.entries.is_empty());
    }
    assert_eq!(store.revision().await.unwrap(), 2);
    assert!(store.audit(Default::default()).await.unwrap().is_empty());
}

pub async fn writes_to_one_document_in_one_commit_apply_in_order(store: Arc<dyn Store>) {
    let change = store
        .commit(commit(vec![
            put(Kind::Flag, "f", Expect::Absent, json!("one")),
            put(Kind::Flag, "f", Expect::Version(1), json!("two")),
            Write::delete(Kind::Flag, "f", Expect::Version(2)),
            put(Kind::Flag, "f", Expect::Absent, json!("three")),
        ]))
        .await
        .unwrap();
    let steps: Vec<(u64, bool)> = change
        .entries
        .iter()
        .map(|e| (e.version, e.body.is_some()))
        .collect();
    assert_eq!(steps, [(1, true), (2, true), (2, false), (1, true)]);
    let flag = store.get(Kind::Flag, "f").await.unwrap().unwrap();
    assert_eq!((flag.version, body(&flag)), (1, json!("three")));
    assert_eq!(store.revision().await.unwrap(), 1);

    let result = store
        .commit(commit(vec![
            put(Kind::Flag, "f", Expect::Version(1), json!("four")),
            put(Kind::Flag, "f", Expect::Version(1), json!("five")),
        ]))
        .await;
    assert_conflict(result, Kind::Flag, "f", Expect::Version(1), Some(2));
    let flag = store.get(Kind::Flag, "f").await.unwrap().unwrap();
    assert_eq!((flag.version, body(&flag)), (1, json!("three")));
}

pub async fn an_empty_commit_is_refused_without_a_revision(store: Arc<dyn Store>) {
    let mut feed = store.subscribe();
    let result = store.commit(commit(Vec::new())).await;
    assert!(matches!(result, Err(StoreError::EmptyCommit)), "{result:?}");
    assert_eq!(store.revision().await.unwrap(), 0);
    assert!(feed.try_recv().is_err());
}

pub async fn a_body_that_is_not_json_is_refused(store: Arc<dyn Store>) {
    for bad in [&b"{not json"[..], b"", b"\xff\xfe", b"{} {}"] {
        let result = store
            .commit(commit(vec![
                put(Kind::Flag, "ok", Expect::Any, json!(1)),
                Write::put(Kind::Flag, "bad", Expect::Any, bad.to_vec()),
            ]))
            .await;
        match result {
            Err(StoreError::InvalidBody { kind, key, .. }) => {
                assert_eq!((kind, key.as_str()), (Kind::Flag, "bad"));
            }
            other => panic!("{bad:?} was not refused: {other:?}"),
        }
    }
    assert!(store.get(Kind::Flag, "ok").await.unwrap().is_none());
    assert_eq!(store.revision().await.unwrap(), 0);
}

pub async fn each_commit_takes_exactly_the_next_revision(store: Arc<dyn Store>) {
    for n in 1..=5u64 {
        let change = store
            .commit(commit(vec![
                put(Kind::Flag, "a", Expect::Any, json!(n)),
                put(Kind::Flag, "b", Expect::Any, json!(n)),
            ]))
            .await
            .unwrap();
        assert_eq!(change.revision, n);
        assert_eq!(store.revision().await.unwrap(), n);
        for key in ["a", "b"] {
            let doc = store.get(Kind::Flag, key).await.unwrap().unwrap();
            assert_eq!(doc.revision, n);
        }
    }
    let _ = store
        .commit(commit(vec![put(Kind::Flag, "a", Expect::Absent, json!(0))]))
        .await
        .unwrap_err();
    assert_eq!(
        store.revision().await.unwrap(),
        5,
        "a conflict takes no revision"
    );
}

pub async fn concurrent_compare_and_set_has_one_winner_per_version(store: Arc<dyn Store>) {
    const TASKS: u64 = 8;
    const WINS_EACH: usize = 4;
    put_one(&*store, Kind::Flag, "contended", json!({"by": null})).await;
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            while won.len() < WINS_EACH {
                let seen = store.get(Kind::Flag, "contended").await.unwrap().unwrap();
                let write = put(
                    Kind::Flag,
                    "contended",
                    Expect::Version(seen.version),
                    json!({"by": task}),
                );
                match store.commit(commit(vec![write])).await {
                    Ok(change) => won.push(change.entries[0].version),
                    Err(StoreError::Conflict { .. }) => {}
                    Err(other) => panic!("{other}"),
                }
            }
            won
        }));
    }
    let mut versions = Vec::new();
    for task in tasks {
        versions.extend(task.await.unwrap());
    }
    versions.sort_unstable();
    let every: Vec<u64> = (2..=1 + TASKS * WINS_EACH as u64).collect();
    assert_eq!(versions, every, "each version was won exactly once");
    let last = store.get(Kind::Flag, "contended").await.unwrap().unwrap();
    assert_eq!(last.version, 1 + TASKS * WINS_EACH as u64);
    assert_eq!(store.revision().await.unwrap(), last.version);
}

pub async fn expect_revision_refuses_a_commit_once_the_store_moved_on(store: Arc<dyn Store>) {
    put_one(&*store, Kind::Segment, "beta", json!({})).await;
    let at = store.revision().await.unwrap();
    put_one(&*store, Kind::Flag, "other", json!(1)).await;
    let mut stale = commit(vec![put(Kind::Flag, "f", Expect::Any, json!(true))]);
    stale.expect_revision = Some(at);
    match store.commit(stale).await {
        Err(StoreError::Stale { expected, found }) => assert_eq!((expected, found), (at, at + 1)),
        other => panic!("expected a stale-revision refusal, got {other:?}"),
    }
    assert!(
        store.get(Kind::Flag, "f").await.unwrap().is_none(),
        "nothing is written"
    );
    assert_eq!(
        store.revision().await.unwrap(),
        at + 1,
        "no revision is taken"
    );
    let mut current = commit(vec![put(Kind::Flag, "f", Expect::Any, json!(true))]);
    current.expect_revision = Some(at + 1);
    assert_eq!(store.commit(current).await.unwrap().revision, at + 2);
}
