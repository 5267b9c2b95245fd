//! Segment membership: included keys, rules, exclusions that beat both, the built-in
//! `general` segment and rings, and rules that combine a segment with conditions.

use rollgate_core::Snapshot;
use rollgate_core::model::Flag;
use serde_json::json;

use crate::common::{self, bool_flag, builtin_segments, compile_with, segment};
use crate::in_segment;

fn vip_snapshot(include: &[String], exclude: &[String]) -> Snapshot {
    let vip = segment(json!({
        "key": "vip",
        "include": include,
        "exclude": exclude,
        "rules": [
            { "conditions": [
                { "attribute": "country", "op": "in", "values": ["NL"] },
                { "attribute": "plan", "op": "in", "values": ["pro"] } ] },
            { "conditions": [ { "attribute": "orders", "op": "gte", "values": [100] } ] }
        ]
    }));
    let flags = [
        bool_flag(
            "vip",
            json!([{ "segment": "vip", "serve": { "variant": "on" } }]),
            json!({ "variant": "off" }),
        ),
        bool_flag(
            "general",
            json!([{ "segment": "general", "serve": { "variant": "on" } }]),
            json!({ "variant": "off" }),
        ),
        bool_flag(
            "vip-in-be",
            json!([{ "segment": "vip", "conditions": [ { "attribute": "country", "op": "in", "values": ["BE"] } ],
                     "serve": { "variant": "on" } }]),
            json!({ "variant": "off" }),
        ),
    ];
    let mut segments = builtin_segments();
    segments.push(vip);
    compile_with(&flags, &segments)
}

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn a_segment_holds_its_included_keys_and_whoever_matches_one_of_its_rules() {
    let snapshot = vip_snapshot(&keys(&["user-1", "user-3"]), &keys(&["user-3"]));
    let cases = [
        (json!({ "targetingKey": "user-1" }), true),
        (
            json!({ "targetingKey": "user-9", "country": "NL", "plan": "pro" }),
            true,
        ),
        (
            json!({ "targetingKey": "user-9", "country": "NL", "plan": "free" }),
            false,
        ),
        (json!({ "targetingKey": "user-9", "orders": 150 }), true),
        (json!({ "country": "NL", "plan": "pro" }), true),
        (json!({ "targetingKey": "user-9" }), false),
        (json!({}), false),
    ];
    for (user, expected) in cases {
        assert_eq!(
            in_segment(&snapshot, "vip", user.clone()),
            expected,
            "{user}"
        );
    }
}

#[test]
fn exclusion_beats_inclusion_and_rules() {
    let snapshot = vip_snapshot(&keys(&["user-1", "user-3"]), &keys(&["user-3"]));
    let excluded =
        json!({ "targetingKey": "user-3", "country": "NL", "plan": "pro", "orders": 500 });
    assert!(!in_segment(&snapshot, "vip", excluded));
}

#[test]
fn long_include_and_exclude_lists_behave_like_short_ones() {
    let include: Vec<String> = (0..50).map(|i| format!("in-{i}")).collect();
    let exclude: Vec<String> = (0..50).map(|i| format!("out-{i}")).collect();
    let snapshot = vip_snapshot(&include, &exclude);
    assert!(in_segment(
        &snapshot,
        "vip",
        json!({ "targetingKey": "in-49" })
    ));
    assert!(!in_segment(
        &snapshot,
        "vip",
        json!({ "targetingKey": "in-50" })
    ));
    let excluded = json!({ "targetingKey": "out-17", "orders": 500 });
    assert!(!in_segment(&snapshot, "vip", excluded));
}

#[test]
fn a_rule_with_a_segment_and_conditions_needs_both() {
    let snapshot = vip_snapshot(&keys(&["user-1"]), &[]);
    assert!(in_segment(
        &snapshot,
        "vip-in-be",
        json!({ "targetingKey": "user-1", "country": "BE" })
    ));
    assert!(!in_segment(
        &snapshot,
        "vip-in-be",
        json!({ "targetingKey": "user-1", "country": "NL" })
    ));
    assert!(!in_segment(
        &snapshot,
        "vip-in-be",
        json!({ "targetingKey": "user-2", "country": "BE" })
    ));
}

#[test]
fn the_general_segment_holds_everyone() {
    let snapshot = vip_snapshot(&[], &[]);
    assert!(in_segment(&snapshot, "general", json!({})));
    assert!(in_segment(
        &snapshot,
        "general",
        json!({ "targetingKey": "anyone", "ring": "alpha" })
    ));
}

#[test]
fn the_builtin_rings_follow_the_ring_attribute() {
    let flags: Vec<Flag> = ["alpha", "beta"]
        .iter()
        .map(|ring| {
            bool_flag(
                ring,
                json!([{ "segment": ring, "serve": { "variant": "on" } }]),
                json!({ "variant": "off" }),
            )
        })
        .collect();
    let snapshot = common::snapshot(&flags);
    for (ring, alpha, beta) in [
        ("alpha", true, false),
        ("beta", false, true),
        ("general", false, false),
    ] {
        let user = json!({ "targetingKey": "u", "ring": ring });
        assert_eq!(
            in_segment(&snapshot, "alpha", user.clone()),
            alpha,
            "{ring}"
        );
        assert_eq!(in_segment(&snapshot, "beta", user), beta, "{ring}");
    }
}
