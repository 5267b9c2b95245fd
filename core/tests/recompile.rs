//! Incremental compilation: a snapshot built by `recompile` from its predecessor, over
//! any sequence of flag and segment edits, evaluates exactly like one compiled from
//! scratch; and it recompiles only what an edit touched (one flag, or the flags that use
//! an edited segment).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use common::{ENV, bool_flag, builtin_segments, context, flag, realistic_flag, rollout, segment};
use proptest::prelude::*;
use rollgate_core::compile::{Source, recompile};
use rollgate_core::model::{Flag, Segment};
use rollgate_core::{Compiled, Snapshot, compile, evaluate};
use serde_json::json;

/// Documents by key with the revision that wrote them, as the server's catalog keeps them.
#[derive(Default)]
struct Documents {
    flags: BTreeMap<String, (Flag, u64)>,
    segments: BTreeMap<String, (Segment, u64)>,
}

impl Documents {
    fn recompile(&self, previous: Option<&Snapshot>, revision: u64) -> Compiled {
        recompile(
            previous,
            ENV,
            revision,
            self.flags.values().map(|(doc, version)| Source {
                doc,
                version: *version,
            }),
            self.segments.values().map(|(doc, version)| Source {
                doc,
                version: *version,
            }),
        )
    }

    fn compiled_afresh(&self, revision: u64) -> Compiled {
        compile(
            ENV,
            revision,
            self.flags.values().map(|(doc, _)| doc),
            self.segments.values().map(|(doc, _)| doc),
        )
    }
}

/// Segment `s{n}` in one of a few shapes (one does not compile: a bad regex).
fn segment_doc(n: usize, shape: usize) -> Segment {
    let key = format!("s{n}");
    match shape % 4 {
        0 => segment(json!({ "key": key, "include": ["user-1", "user-3"] })),
        1 => segment(
            json!({ "key": key, "exclude": ["user-2"], "rules": [ { "conditions": [
            { "attribute": "country", "op": "in", "values": ["NL"] } ] } ] }),
        ),
        2 => segment(json!({ "key": key, "rules": [ { "conditions": [
            { "attribute": "plan", "op": "in", "values": ["pro"] } ] } ] })),
        _ => segment(json!({ "key": key, "rules": [ { "conditions": [
            { "attribute": "email", "op": "matches", "values": ["("] } ] } ] })),
    }
}

/// Flag `f{n}` in one of a few shapes: using segments, not configured in [`ENV`], or a
/// realistic flag of the benchmarks under this key.
fn flag_doc(n: usize, shape: usize) -> Flag {
    let key = format!("f{n}");
    let uses = |s: usize| json!([ { "segment": format!("s{s}"), "serve": { "variant": "on" } } ]);
    match shape % 6 {
        0 => bool_flag(&key, uses(shape % 3), json!({ "variant": "off" })),
        1 => bool_flag(
            &key,
            json!([ { "segment": "s0", "serve": { "variant": "off" } },
                    { "segment": "s1", "serve": rollout(&[("on", 5000), ("off", 5000)]) } ]),
            rollout(&[("on", 2500), ("off", 7500)]),
        ),
        2 => flag(
            json!({ "key": key, "variants": { "on": true, "off": false },
            "environments": { "development": {
                "enabled": true, "off_variant": "off", "default": { "variant": "on" } } } }),
        ),
        3 => bool_flag(&key, uses(2), rollout(&[("on", 9000), ("off", 1000)])),
        _ => {
            let mut realistic = realistic_flag(shape, 4);
            realistic.key = key;
            realistic
        }
    }
}

#[derive(Clone, Debug)]
enum Edit {
    Flag { n: usize, shape: usize },
    DeleteFlag(usize),
    Segment { n: usize, shape: usize },
    DeleteSegment(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0..8usize, 0..12usize).prop_map(|(n, shape)| Edit::Flag { n, shape }),
        1 => (0..8usize).prop_map(Edit::DeleteFlag),
        2 => (0..3usize, 0..4usize).prop_map(|(n, shape)| Edit::Segment { n, shape }),
        1 => (0..3usize).prop_map(Edit::DeleteSegment),
    ]
}

fn contexts() -> Vec<rollgate_core::Context> {
    (0..6)
        .map(|i| {
            context(json!({
                "targetingKey": format!("user-{i}"),
                "country": if i % 2 == 0 { "NL" } else { "DE" },
                "plan": if i % 3 == 0 { "pro" } else { "free" },
                "email": format!("u{i}@example.com"),
                "beta_opt_in": i % 2 == 1,
                "app_version": "1.5.0",
            }))
        })
        .collect()
}

/// Both snapshots hold the same flags and answer every context the same.
fn assert_same(incremental: &Compiled, scratch: &Compiled) {
    let keys: Vec<&str> = scratch.snapshot.flag_keys().collect();
    assert_eq!(incremental.snapshot.flag_keys().collect::<Vec<_>>(), keys);
    assert_eq!(incremental.warnings, scratch.warnings);
    for context in contexts() {
        for key in keys.iter().copied().chain(["missing"]) {
            assert_eq!(
                evaluate(&incremental.snapshot, key, &context),
                evaluate(&scratch.snapshot, key, &context),
                "flag {key}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the edits, reusing compiled flags and segments changes no answer.
    #[test]
    fn a_snapshot_built_incrementally_evaluates_like_one_compiled_from_scratch(
        edits in prop::collection::vec(edit(), 1..40)
    ) {
        let mut documents = Documents::default();
        // The realistic flags use the built-in segments.
        for builtin in builtin_segments() {
            documents.segments.insert(builtin.key.clone(), (builtin, 0));
        }
        let mut previous: Option<Compiled> = None;
        for (i, edit) in edits.into_iter().enumerate() {
            let revision = i as u64 + 1;
            match edit {
                Edit::Flag { n, shape } => {
                    documents.flags.insert(format!("f{n}"), (flag_doc(n, shape), revision));
                }
                Edit::DeleteFlag(n) => {
                    documents.flags.remove(&format!("f{n}"));
                }
                Edit::Segment { n, shape } => {
                    documents.segments.insert(format!("s{n}"), (segment_doc(n, shape), revision));
                }
                Edit::DeleteSegment(n) => {
                    documents.segments.remove(&format!("s{n}"));
                }
            }
            let incremental = documents.recompile(previous.as_ref().map(|p| &p.snapshot), revision);
            assert_same(&incremental, &documents.compiled_afresh(revision));
            previous = Some(incremental);
        }
    }
}

#[test]
fn a_flag_edit_recompiles_that_flag_only() {
    let mut documents = Documents::default();
    for n in 0..6 {
        documents.flags.insert(format!("f{n}"), (flag_doc(n, n), 1));
    }
    for n in 0..3 {
        documents
            .segments
            .insert(format!("s{n}"), (segment_doc(n, n), 1));
    }
    let first = documents.recompile(None, 1);
    let configured = first.snapshot.len();
    documents.flags.insert("f3".into(), (flag_doc(3, 0), 2));
    let second = documents.recompile(Some(&first.snapshot), 2);
    assert_eq!(
        second.snapshot.shared_flags(&first.snapshot),
        configured - 1
    );
    assert_same(&second, &documents.compiled_afresh(2));
}

#[test]
fn a_segment_edit_takes_effect_on_the_flags_that_use_it_and_only_those_are_recompiled() {
    let mut documents = Documents::default();
    documents
        .segments
        .insert("s0".into(), (segment_doc(0, 0), 1));
    documents
        .segments
        .insert("s2".into(), (segment_doc(2, 0), 1));
    // f0 uses s0; f3 uses s2; f5 uses no segment.
    for n in [0, 3, 5] {
        documents.flags.insert(format!("f{n}"), (flag_doc(n, n), 1));
    }
    let first = documents.recompile(None, 1);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let user_1 = context(json!({ "targetingKey": "user-1", "country": "DE" }));
    let served = |c: &Compiled| {
        evaluate(&c.snapshot, "f0", &user_1)
            .variant
            .map(str::to_owned)
    };
    assert_eq!(
        served(&first).as_deref(),
        Some("on"),
        "user-1 is included in s0"
    );
    // s0 now holds only people in NL: user-1 (DE) is no longer in it.
    documents
        .segments
        .insert("s0".into(), (segment_doc(0, 1), 2));
    let second = documents.recompile(Some(&first.snapshot), 2);
    assert_eq!(served(&second).as_deref(), Some("off"));
    assert_eq!(
        second.snapshot.shared_flags(&first.snapshot),
        2,
        "f3 and f5 do not use s0"
    );
    assert_same(&second, &documents.compiled_afresh(2));
    // Deleting a segment leaves out the flags that use it, as compiling afresh does.
    documents.segments.remove("s2");
    let third = documents.recompile(Some(&second.snapshot), 3);
    assert_eq!(third.snapshot.flag_keys().collect::<Vec<_>>(), ["f0", "f5"]);
    assert_same(&third, &documents.compiled_afresh(3));
}

#[test]
fn a_key_written_anew_at_a_version_seen_before_needs_a_new_version() {
    // Versions identify content: the server passes the revision that wrote a document,
    // so a flag deleted and created again never comes back at the same version.
    let mut documents = Documents::default();
    documents.flags.insert("f0".into(), (flag_doc(0, 4), 1));
    let first = documents.recompile(None, 1);
    documents.flags.insert("f0".into(), (flag_doc(0, 5), 3));
    let second = documents.recompile(Some(&first.snapshot), 3);
    assert_eq!(second.snapshot.shared_flags(&first.snapshot), 0);
    assert_same(&second, &documents.compiled_afresh(3));
}
