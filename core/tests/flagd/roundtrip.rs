//! The way back: Rollgate flags exported to flagd and imported again evaluate as they
//! did, for generated flags using every construct flagd can state and generated
//! contexts (with the stickiness attribute, which flagd needs to split: docs/flagd.md).

use proptest::prelude::*;
use rollgate_core::flagd::{Documents, ImportOptions, export, import};
use rollgate_core::model::{Flag, Segment};
use serde_json::{Value, json};

use super::{ENV, context, documents, imported, served, snapshot_of};

fn segments() -> Vec<Segment> {
    let segment = |value: Value| serde_json::from_value::<Segment>(value).unwrap();
    vec![
        segment(json!({
            "key": "staff", "include": ["user-1", "user-2"], "exclude": ["user-3"],
            "rules": [{ "conditions": [{ "attribute": "email", "op": "ends_with", "values": ["@company.com"] }] }]
        })),
        segment(json!({
            "key": "eu",
            "rules": [
                { "conditions": [{ "attribute": "country", "op": "in", "values": ["NL", "BE"] }] },
                { "conditions": [
                    { "attribute": "country", "op": "in", "values": ["DE"] },
                    { "attribute": "age", "op": "gte", "values": [18] }
                ] }
            ]
        })),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    let test = prop_oneof![
        (
            prop::sample::select(vec!["in", "not_in"]),
            prop::sample::subsequence(
                vec![json!("NL"), json!("BE"), json!("US"), json!(31)],
                1..=3
            )
        )
            .prop_map(|(op, values)| json!({ "attribute": "country", "op": op, "values": values })),
        (
            prop::sample::select(vec!["starts_with", "ends_with", "contains"]),
            prop::sample::subsequence(vec!["admin", "@company.com", "vip"], 1..=2)
        )
            .prop_map(|(op, values)| json!({ "attribute": "email", "op": op, "values": values })),
        (
            prop::sample::select(vec!["eq", "ne", "lt", "lte", "gt", "gte"]),
            prop::sample::subsequence(vec![json!(18), json!(21.5), json!(65)], 1..=2)
        )
            .prop_map(|(op, values)| json!({ "attribute": "age", "op": op, "values": values })),
        (
            prop::sample::select(vec!["semver_eq", "semver_lt", "semver_gt"]),
            prop::sample::subsequence(vec!["1.0.0", "2.4.0", "2.0.0-beta.1"], 1..=2)
        )
            .prop_map(
                |(op, values)| json!({ "attribute": "appVersion", "op": op, "values": values })
            ),
        Just(json!({ "attribute": "tier", "op": "exists", "values": [] })),
    ];
    (test, any::<bool>()).prop_map(|(mut test, negate)| {
        test["negate"] = json!(negate);
        test
    })
}

fn serve() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec!["a", "b", "c"]).prop_map(|v| json!({ "variant": v })),
        (0u32..=10_000, 0u32..=10_000).prop_map(|(x, y)| {
            let (low, high) = (x.min(y), x.max(y));
            json!({ "rollout": [
                { "variant": "a", "weight": low }, { "variant": "b", "weight": high - low },
                { "variant": "c", "weight": 10_000 - high }
            ] })
        }),
        (1u32..50, 1u32..50).prop_map(|(x, y)| json!({
            "rollout": [{ "variant": "c", "weight": x }, { "variant": "a", "weight": y }],
            "total_weight": x + y
        })),
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    let rule = (
        prop::option::of(prop::sample::select(vec!["staff", "eu"])),
        prop::collection::vec(condition(), 0..3),
        serve(),
    )
        .prop_map(|(segment, conditions, serve)| super::common::rule(segment, conditions, serve));
    let bucketing = prop_oneof![
        Just(json!({})),
        Just(json!({ "salt": "seed-7" })),
        Just(json!({ "unsalted": true })),
        Just(json!({ "stickiness": "email" })),
        Just(json!({ "unsalted": true, "stickiness": "email" })),
    ];
    (
        any::<bool>(),
        prop::sample::select(vec!["a", "b", "c"]),
        prop::collection::vec(rule, 0..4),
        serve(),
        bucketing,
    )
        .prop_map(|(enabled, off, rules, default, bucketing)| {
            let mut config = json!({ "enabled": enabled, "off_variant": off, "rules": rules, "default": default });
            for (key, value) in bucketing.as_object().unwrap() {
                config[key] = value.clone();
            }
            serde_json::from_value(json!({
                "key": "generated",
                "variants": { "a": "A", "b": "B", "c": "C" },
                "environments": { ENV: config }
            }))
            .unwrap()
        })
}

fn user() -> impl Strategy<Value = Value> {
    (
        0u8..10,
        prop::sample::select(vec![
            "admin@company.com",
            "vip@partner.org",
            "x@company.com",
            "y@example.com",
        ]),
        prop::option::of(prop::sample::select(vec![
            json!("NL"),
            json!("DE"),
            json!("US"),
            json!(31),
        ])),
        prop::option::of(prop::sample::select(vec![
            json!(17),
            json!(18),
            json!("21.5"),
            json!(65),
            json!(80.5),
        ])),
        prop::option::of(prop::sample::select(vec![
            "0.9.0",
            "1.0.0",
            "2.0.0-beta.1",
            "2.4.0",
            "v3.0.0",
            "nope",
        ])),
        prop::option::of(Just("gold")),
    )
        .prop_map(|(id, email, country, age, version, tier)| {
            let mut user = json!({ "targetingKey": format!("user-{id}"), "email": email });
            let mut set = |name: &str, value: Option<Value>| {
                if let Some(value) = value {
                    user[name] = value;
                }
            };
            set("country", country);
            set("age", age);
            set("appVersion", version.map(Value::from));
            set("tier", tier.map(Value::from));
            user
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exported_and_imported_again_a_flag_evaluates_as_before(
        flag in flag(),
        users in prop::collection::vec(user(), 32),
    ) {
        let segments = segments();
        let exported = export([&flag], &segments, ENV);
        prop_assert!(exported.problems.is_empty(), "{:?}", exported.problems);
        let catalog = Documents::with_environments([ENV]);
        let bytes = exported.document.to_string();
        let back = import(bytes.as_bytes(), ENV, &catalog, ImportOptions::default())
            .unwrap_or_else(|p| panic!("{p:?}\n{bytes}"));
        let (flags, imported_segments) = documents(&back);
        let before = snapshot_of(std::slice::from_ref(&flag), &segments);
        let after = snapshot_of(&flags, &imported_segments);
        for user in users {
            let user = context(user);
            prop_assert_eq!(
                served(&after, "generated", &user),
                served(&before, "generated", &user),
                "{}\n{:?}", bytes, user
            );
        }
    }
}

#[test]
fn imported_files_exported_and_imported_again_evaluate_alike() {
    use rand::SeedableRng;
    for name in ["rings", "semver", "countries", "fractional", "evaluators"] {
        let first = imported(&super::equivalence::file(name));
        let (flags, segments) = documents(&first);
        let exported = export(&flags, &segments, ENV);
        assert!(
            exported.problems.is_empty(),
            "{name}: {:?}",
            exported.problems
        );
        let again = imported(&exported.document);
        let (flags_again, segments_again) = documents(&again);
        let (before, after) = (
            snapshot_of(&flags, &segments),
            snapshot_of(&flags_again, &segments_again),
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..1_000 {
            let user = super::equivalence::user(&mut rng);
            for flag in &flags {
                assert_eq!(
                    served(&after, &flag.key, &user),
                    served(&before, &flag.key, &user),
                    "{name}: {} {user:?}\n{}",
                    flag.key,
                    exported.document
                );
            }
        }
    }
}

#[test]
fn what_flagd_cannot_state_is_left_out_and_named() {
    let flag: Flag = serde_json::from_value(json!({
        "key": "regex", "variants": { "a": 1, "b": 2 },
        "environments": { ENV: {
            "enabled": true, "off_variant": "a",
            "rules": [
                { "conditions": [{ "attribute": "email", "op": "matches", "values": ["^a"] }], "serve": { "variant": "b" } },
                { "conditions": [{ "attribute": "user.id", "op": "in", "values": ["1"] }], "serve": { "variant": "b" } },
                { "conditions": [{ "attribute": "t", "op": "before", "values": ["2026-01-01T00:00:00Z"] }], "serve": { "variant": "b", "shadow": true } }
            ],
            "default": { "variant": "a" }
        } }
    }))
    .unwrap();
    let fine: Flag = serde_json::from_value(json!({
        "key": "fine", "variants": { "on": true }, "environments": { ENV: { "off_variant": "on", "default": { "variant": "on" } } }
    }))
    .unwrap();
    let exported = export([&flag, &fine], &[], ENV);
    let fields: Vec<&str> = exported.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "environments.production.rules[0].conditions[0]",
            "environments.production.rules[1].conditions[0]",
            "environments.production.rules[2].conditions[0]",
            "environments.production.rules[2].serve",
        ]
    );
    assert!(
        exported
            .problems
            .iter()
            .all(|p| p.flag.as_deref() == Some("regex"))
    );
    assert_eq!(
        exported.document,
        json!({
            "$schema": "https://flagd.dev/schema/v0/flags.json",
            "flags": { "fine": { "state": "DISABLED", "variants": { "on": true }, "defaultVariant": "on" } }
        })
    );
}
