//! Contract: the audit trail — who changed what, before → after, newest first.

use std::sync::Arc;

use rollgate_server::infra::store::{AuditEvent, AuditQuery, Expect, Kind, Store, Write};
use serde_json::json;

use super::{AT, commit, commit_by, put, put_one};

fn summary(events: &[AuditEvent]) -> Vec<(u64, Kind, &str)> {
    events
        .iter()
        .map(|e| (e.revision, e.kind, e.key.as_str()))
        .collect()
}

fn of(kind: Option<Kind>, key: Option<&str>) -> AuditQuery {
    AuditQuery {
        kind,
        key: key.map(str::to_owned),
        ..AuditQuery::default()
    }
}

pub async fn audit_records_before_and_after_newest_first(store: Arc<dyn Store>) {
    let steps = [
        ("alice", "flag.create", Some(json!({"on": false}))),
        ("bob", "flag.update", Some(json!({"on": true}))),
        ("carol", "flag.delete", None),
    ];
    for (actor, action, after) in &steps {
        let write = match after {
            Some(body) => put(Kind::Flag, "f", Expect::Any, body.clone()),
            None => Write::delete(Kind::Flag, "f", Expect::Present),
        };
        store
            .commit(commit_by(actor, action, vec![write]))
            .await
            .unwrap();
    }
    let events = store.audit(of(Some(Kind::Flag), Some("f"))).await.unwrap();
    let trail: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.revision,
                e.actor.as_str(),
                e.action.as_str(),
                e.before.clone(),
                e.after.clone(),
            )
        })
        .collect();
    let (off, on) = (json!({"on": false}), json!({"on": true}));
    assert_eq!(
        trail,
        [
            (3, "carol", "flag.delete", Some(on.clone()), None),
            (2, "bob", "flag.update", Some(off.clone()), Some(on)),
            (1, "alice", "flag.create", None, Some(off)),
        ]
    );
    assert!(events.iter().all(|e| e.at == AT && e.kind == Kind::Flag));
}

pub async fn audit_pages_backwards_with_before_revision(store: Arc<dyn Store>) {
    for n in 1..=5 {
        put_one(&*store, Kind::Flag, "f", json!(n)).await;
    }
    let page = |before_revision| AuditQuery {
        before_revision,
        limit: 2,
        ..AuditQuery::default()
    };
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let events = store.audit(page(before)).await.unwrap();
        let Some(last) = events.last() else { break };
        before = Some(last.revision);
        pages.push(events.iter().map(|e| e.revision).collect::<Vec<_>>());
    }
    assert_eq!(pages, [vec![5, 4], vec![3, 2], vec![1]]);
    let all = store.audit(AuditQuery::default()).await.unwrap();
    assert_eq!(all.len(), 5, "limit 0 means the maximum");
    let first = all.last().unwrap();
    assert_eq!((&first.before, &first.after), (&None, &Some(json!(1))));
}

pub async fn audit_filters_by_kind_and_key(store: Arc<dyn Store>) {
    store
        .commit(commit(vec![
            put(Kind::Flag, "a", Expect::Any, json!(1)),
            put(Kind::Segment, "a", Expect::Any, json!(1)),
            put(Kind::Flag, "b", Expect::Any, json!(1)),
        ]))
        .await
        .unwrap();
    put_one(&*store, Kind::Flag, "a", json!(2)).await;
    put_one(&*store, Kind::Environment, "prod", json!(1)).await;

    let all = store.audit(of(None, None)).await.unwrap();
    assert_eq!(
        summary(&all),
        [
            (3, Kind::Environment, "prod"),
            (2, Kind::Flag, "a"),
            (1, Kind::Flag, "b"),
            (1, Kind::Segment, "a"),
            (1, Kind::Flag, "a"),
        ]
    );
    let flags = store.audit(of(Some(Kind::Flag), None)).await.unwrap();
    assert_eq!(
        summary(&flags),
        [
            (2, Kind::Flag, "a"),
            (1, Kind::Flag, "b"),
            (1, Kind::Flag, "a")
        ]
    );
    let flag_a = store.audit(of(Some(Kind::Flag), Some("a"))).await.unwrap();
    assert_eq!(
        summary(&flag_a),
        [(2, Kind::Flag, "a"), (1, Kind::Flag, "a")]
    );
    let any_a = store.audit(of(None, Some("a"))).await.unwrap();
    assert_eq!(
        summary(&any_a),
        [
            (2, Kind::Flag, "a"),
            (1, Kind::Segment, "a"),
            (1, Kind::Flag, "a")
        ]
    );
    let none = store.audit(of(Some(Kind::Release), None)).await.unwrap();
    assert!(none.is_empty());
}

pub async fn unaudited_commits_leave_no_audit_events(store: Arc<dyn Store>) {
    let mut lease = commit(vec![put(Kind::Lease, "controller", Expect::Any, json!(1))]);
    lease.audited = false;
    let change = store.commit(lease).await.unwrap();
    assert_eq!(
        change.entries.len(),
        1,
        "unaudited changes are still changes"
    );
    put_one(&*store, Kind::Flag, "f", json!(1)).await;

    let all = store.audit(AuditQuery::default()).await.unwrap();
    assert_eq!(summary(&all), [(2, Kind::Flag, "f")]);
    let leases = store.audit(of(Some(Kind::Lease), None)).await.unwrap();
    assert!(leases.is_empty());
}
