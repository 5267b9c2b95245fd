//! Contract: random sequences of commits agree with a plain in-memory model of the
//! rules in `Commit`'s documentation — versions, presence, revisions and conflicts.
//!
//! The cases share one store: each works under its own key prefix and counts revisions
//! from where the store stood when it began.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rollgate_server::infra::store::{Check, Commit, Expect, Kind, Store, StoreError, Write};

use super::AT;

const KINDS: [Kind; 2] = [Kind::Flag, Kind::Segment];
const KEYS: u8 = 2;

/// What the model holds under `(kind, key)`: version and body.
type Model = BTreeMap<(Kind, String), (u64, Vec<u8>)>;

/// A change entry as the model predicts it: kind, key, version, body.
type Entry = (Kind, String, u64, Option<Vec<u8>>);

#[derive(Clone, Debug)]
struct Step {
    checks: Vec<(Kind, u8, Expect)>,
    /// `None` as the body deletes.
    writes: Vec<(Kind, u8, Expect, Option<u8>)>,
    audited: bool,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Applied(Vec<Entry>),
    Conflict(Kind, String, Expect, Option<u64>),
}

fn step() -> impl Strategy<Value = Step> {
    let kind = prop::sample::select(&KINDS[..]);
    // Mostly expectations that can hold, so that documents reach higher versions.
    let expect = prop_oneof![
        3 => Just(Expect::Any),
        1 => Just(Expect::Absent),
        1 => Just(Expect::Present),
        3 => (1u64..=4).prop_map(Expect::Version),
    ];
    let check = (kind.clone(), 0..KEYS, expect.clone());
    let body = prop::option::weighted(0.75, any::<u8>());
    let write = (kind, 0..KEYS, expect, body);
    (vec(check, 0..2), vec(write, 1..3), any::<bool>()).prop_map(|(checks, writes, audited)| Step {
        checks,
        writes,
        audited,
    })
}

fn body(n: u8) -> Vec<u8> {
    format!("{{\"n\":{n}}}").into_bytes()
}

fn holds(expect: Expect, found: Option<u64>) -> bool {
    match expect {
        Expect::Any => true,
        Expect::Absent => found.is_none(),
        Expect::Present => found.is_some(),
        Expect::Version(v) => found == Some(v),
    }
}

/// What the step should do to `model`, and the model after it.
fn predict(model: &Model, step: &Step, prefix: &str) -> (Outcome, Model) {
    let mut next = model.clone();
    for (kind, key, expect) in &step.checks {
        let key = format!("{prefix}{key}");
        let found = model.get(&(*kind, key.clone())).map(|(v, _)| *v);
        if !holds(*expect, found) {
            return (Outcome::Conflict(*kind, key, *expect, found), next);
        }
    }
    let mut entries = Vec::new();
    for (kind, key, expect, write) in &step.writes {
        let key = format!("{prefix}{key}");
        let found = next.get(&(*kind, key.clone())).map(|(v, _)| *v);
        if !holds(*expect, found) {
            return (Outcome::Conflict(*kind, key, *expect, found), model.clone());
        }
        match (write, found) {
            (None, None) => {}
            (None, Some(version)) => {
                next.remove(&(*kind, key.clone()));
                entries.push((*kind, key, version, None));
            }
            (Some(n), found) => {
                let version = found.map_or(1, |v| v + 1);
                next.insert((*kind, key.clone()), (version, body(*n)));
                entries.push((*kind, key, version, Some(body(*n))));
            }
        }
    }
    (Outcome::Applied(entries), next)
}

fn to_commit(step: &Step, prefix: &str) -> Commit {
    Commit {
        actor: "model".to_owned(),
        action: "model.step".to_owned(),
        at: AT,
        writes: step
            .writes
            .iter()
            .map(|(kind, key, expect, n)| Write {
                kind: *kind,
                key: format!("{prefix}{key}"),
                expect: *expect,
                body: n.map(body),
            })
            .collect(),
        checks: step
            .checks
            .iter()
            .map(|(kind, key, expect)| Check {
                kind: *kind,
                key: format!("{prefix}{key}"),
                expect: *expect,
            })
            .collect(),
        audited: step.audited,
        expect_revision: None,
    }
}

async fn run_case(store: &dyn Store, prefix: &str, steps: &[Step]) -> Result<(), TestCaseError> {
    let start = store.revision().await.unwrap();
    let mut model = Model::new();
    let mut committed = 0;
    for step in steps {
        let (predicted, next) = predict(&model, step, prefix);
        let actual = match store.commit(to_commit(step, prefix)).await {
            Ok(change) => {
                committed += 1;
                prop_assert_eq!(change.revision, start + committed);
                let entries = change.entries.iter().map(|e| {
                    let body = e.body.as_ref().map(|b| b.to_vec());
                    (e.kind, e.key.clone(), e.version, body)
                });
                Outcome::Applied(entries.collect())
            }
            Err(StoreError::Conflict {
                kind,
                key,
                expected,
                found,
            }) => Outcome::Conflict(kind, key, expected, found),
            Err(other) => return Err(TestCaseError::fail(other.to_string())),
        };
        prop_assert_eq!(actual, predicted);
        model = next;
        prop_assert_eq!(store.revision().await.unwrap(), start + committed);
        for kind in KINDS {
            for key in (0..KEYS).map(|k| format!("{prefix}{k}")) {
                let stored = store.get(kind, &key).await.unwrap();
                let stored = stored.map(|d| (d.version, d.body.to_vec()));
                prop_assert_eq!(stored.as_ref(), model.get(&(kind, key)));
            }
        }
    }
    for kind in KINDS {
        let listed: Vec<(String, u64)> = store
            .list(kind)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.key.starts_with(prefix))
            .map(|d| (d.key, d.version))
            .collect();
        let modelled: Vec<(String, u64)> = model
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, key), (version, _))| (key.clone(), *version))
            .collect();
        prop_assert_eq!(listed, modelled);
    }
    Ok(())
}

pub async fn random_commits_agree_with_a_model(store: Arc<dyn Store>) {
    let runtime = tokio::runtime::Handle::current();
    let cases = AtomicU64::new(0);
    let config = Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    };
    // proptest drives a synchronous closure; this worker thread may block on the store.
    tokio::task::block_in_place(|| {
        TestRunner::new(config)
            .run(&vec(step(), 1..24), |steps| {
                let prefix = format!("case{}-", cases.fetch_add(1, Ordering::Relaxed));
                runtime.block_on(run_case(&*store, &prefix, &steps))
            })
            .unwrap_or_else(|failure| panic!("{failure}"));
    });
}
