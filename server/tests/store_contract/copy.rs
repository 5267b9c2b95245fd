//! Contract: a whole store out (`dump`) and into an empty one (`restore`), as
//! `rollgate store copy` uses them between backends.

use std::sync::Arc;

use rollgate_server::infra::store::{
    AuditEvent, AuditQuery, ChangesSince, Document, Dump, Expect, Kind, Store, StoreError, Write,
};
use serde_json::json;

use super::{AT, commit, put, put_one};

fn summary(documents: &[Document]) -> Vec<(Kind, String, u64, u64, Vec<u8>)> {
    let mut rows: Vec<_> = documents
        .iter()
        .map(|d| {
            (
                d.kind,
                d.key.clone(),
                d.version,
                d.revision,
                d.body.to_vec(),
            )
        })
        .collect();
    rows.sort();
    rows
}

pub async fn a_dump_holds_every_document_the_audit_trail_and_the_revision(store: Arc<dyn Store>) {
    put_one(&*store, Kind::Flag, "a", json!(1)).await;
    put_one(&*store, Kind::Flag, "b", json!(1)).await;
    put_one(&*store, Kind::Flag, "b", json!(2)).await;
    put_one(&*store, Kind::Segment, "s", json!({"users": ["x"]})).await;
    store
        .commit(commit(vec![Write::delete(
            Kind::Flag,
            "a",
            Expect::Present,
        )]))
        .await
        .unwrap();
    let mut lease = commit(vec![put(Kind::Lease, "controller", Expect::Any, json!({}))]);
    lease.audited = false;
    store.commit(lease).await.unwrap();

    let dump = store.dump().await.unwrap();
    assert_eq!(dump.revision, 6);
    let mut listed = Vec::new();
    for kind in Kind::ALL {
        listed.extend(store.list(kind).await.unwrap());
    }
    assert_eq!(summary(&dump.documents), summary(&listed));
    let mut audit = store.audit(AuditQuery::default()).await.unwrap();
    audit.reverse();
    assert_eq!(dump.audit, audit, "the audit trail, oldest first");
}

pub async fn restore_leaves_a_store_that_is_not_empty_as_it_is(store: Arc<dyn Store>) {
    put_one(&*store, Kind::Flag, "mine", json!(1)).await;
    let dump = Dump {
        revision: 9,
        ..Dump::default()
    };
    match store.restore(&dump).await {
        Err(StoreError::Stale { expected, found }) => assert_eq!((expected, found), (0, 1)),
        other => panic!("restored over a store with data: {other:?}"),
    }
    assert_eq!(store.revision().await.unwrap(), 1);
    assert!(store.get(Kind::Flag, "mine").await.unwrap().is_some());
}

pub async fn a_restored_store_reads_like_its_source_and_goes_on_from_its_revision(
    store: Arc<dyn Store>,
) {
    let document = |kind, key: &str, version, revision, body: serde_json::Value| Document {
        kind,
        key: key.to_owned(),
        version,
        revision,
        body: Arc::from(serde_json::to_vec(&body).unwrap()),
    };
    let event = |revision, key: &str, before, after| AuditEvent {
        revision,
        actor: "alice".to_owned(),
        action: "flag.put".to_owned(),
        at: AT,
        kind: Kind::Flag,
        key: key.to_owned(),
        before,
        after,
    };
    let dump = Dump {
        revision: 7,
        documents: vec![
            document(Kind::Flag, "f", 3, 7, json!({"n": 3})),
            document(Kind::Segment, "s", 1, 2, json!({})),
        ],
        audit: vec![
            event(5, "f", None, Some(json!({"n": 1}))),
            event(6, "f", Some(json!({"n": 1})), Some(json!({"n": 2}))),
            event(6, "g", None, Some(json!(true))),
            event(7, "f", Some(json!({"n": 2})), Some(json!({"n": 3}))),
        ],
    };
    store.restore(&dump).await.unwrap();

    assert_eq!(store.revision().await.unwrap(), 7);
    let flag = store.get(Kind::Flag, "f").await.unwrap().unwrap();
    assert_eq!((flag.version, flag.revision), (3, 7));
    assert_eq!(
        summary(&store.dump().await.unwrap().documents),
        summary(&dump.documents)
    );
    let mut audit = store.audit(AuditQuery::default()).await.unwrap();
    audit.reverse();
    assert_eq!(audit, dump.audit);
    match store.changes_since(3, 100).await.unwrap() {
        ChangesSince::TooOld { oldest } => assert_eq!(oldest, 8),
        ChangesSince::Changes(changes) => {
            panic!("{} changes from a copy without a log", changes.len())
        }
    }

    let next = store
        .commit(commit(vec![put(
            Kind::Flag,
            "f",
            Expect::Version(3),
            json!({"n": 4}),
        )]))
        .await
        .unwrap();
    assert_eq!((next.revision, next.entries[0].version), (8, 4));
    match store.changes_since(7, 100).await.unwrap() {
        ChangesSince::Changes(changes) => assert_eq!(changes, [next]),
        ChangesSince::TooOld { oldest } => panic!("too old ({oldest}) right after the copy"),
    }
}
