//! Evaluation follows PRODUCT.md §2 step by step: every reason and every error code,
//! stickiness by a custom attribute, segment membership (include, exclude, rules), and
//! what compilation leaves out when a document does not compile.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

mod common;

use common::{ENV, bool_flag, builtin_segments, compile_with, context, flag, rollout, segment};
use rollgate_core::bucket::bucket;
use rollgate_core::model::Flag;
use rollgate_core::{Context, ErrorCode, Evaluation, Reason, Snapshot, compile, evaluate};
use serde_json::{Value, json};

fn country_rule(country: &str, serve: Value) -> Value {
    json!({ "conditions": [ { "attribute": "country", "op": "in", "values": [country] } ], "serve": serve })
}

fn fixtures() -> Snapshot {
    let on = json!({ "variant": "on" });
    let off = json!({ "variant": "off" });
    let half = rollout(&[("on", 5000), ("off", 5000)]);
    let mut disabled = bool_flag(
        "disabled",
        json!([country_rule("NL", on.clone())]),
        on.clone(),
    );
    disabled.environments.get_mut(ENV).unwrap().enabled = false;
    let mut elsewhere = bool_flag("elsewhere", json!([]), on.clone());
    let config = elsewhere.environments.remove(ENV).unwrap();
    elsewhere
        .environments
        .insert("development".to_owned(), config);
    let by_company = flag(json!({
        "key": "by-company",
        "variants": { "a": "a", "b": "b", "c": "c" },
        "environments": { ENV: {
            "enabled": true, "off_variant": "a", "stickiness": "company", "salt": "s",
            "default": rollout(&[("a", 3333), ("b", 3333), ("c", 3334)])
        } }
    }));
    let flags = [
        bool_flag("static", json!([]), on.clone()),
        bool_flag(
            "targeted",
            json!([country_rule("US", on.clone())]),
            off.clone(),
        ),
        bool_flag(
            "rule-split",
            json!([country_rule("NL", half.clone())]),
            off.clone(),
        ),
        bool_flag(
            "default-split",
            json!([country_rule("US", on.clone())]),
            half,
        ),
        flag(json!({
            "key": "limits",
            "variants": { "small": { "max": 10 }, "large": { "max": 1000 } },
            "environments": { ENV: { "enabled": true, "off_variant": "small",
                "default": { "variant": "large" } } }
        })),
        disabled,
        elsewhere,
        by_company,
    ];
    compile_with(&flags, &[])
}

fn served<'s>(evaluation: &Evaluation<'s>) -> (Option<&'s str>, Reason) {
    assert_eq!(evaluation.error, None, "{evaluation:?}");
    (evaluation.variant, evaluation.reason)
}

/// The variant index names the served variant among the flag's declared variants.
fn assert_variant_index(snapshot: &Snapshot, evaluation: &Evaluation<'_>) {
    let names: Vec<&str> = snapshot
        .variant_names(evaluation.flag_index().unwrap())
        .collect();
    assert_eq!(
        Some(names[evaluation.variant_index().unwrap()]),
        evaluation.variant
    );
}

fn failed(evaluation: &Evaluation<'_>) -> ErrorCode {
    assert_eq!(evaluation.reason, Reason::Error);
    assert_eq!((evaluation.value, evaluation.variant), (None, None));
    assert!(evaluation.error_details.is_some());
    evaluation.error.expect("an error code")
}

#[test]
fn a_flag_without_rules_serves_its_default_as_static() {
    let snapshot = fixtures();
    let evaluation = evaluate(&snapshot, "static", &Context::with_targeting_key("u"));
    assert_eq!(served(&evaluation), (Some("on"), Reason::Static));
    assert_eq!(evaluation.value, Some(&json!(true)));
    assert_eq!(evaluation.flag_index(), snapshot.flag_index("static"));
    assert_variant_index(&snapshot, &evaluation);
    // A fixed serve needs no unit.
    let anonymous = evaluate(&snapshot, "static", &Context::new());
    assert_eq!(served(&anonymous), (Some("on"), Reason::Static));
}

/// Steps 2 to 4 of PRODUCT.md §2: disabled, first matching rule, default.
#[test]
fn each_step_of_the_evaluation_order_gives_its_reason() {
    let snapshot = fixtures();
    let cases = [
        (
            "targeted",
            json!({ "country": "US" }),
            "on",
            Reason::TargetingMatch,
        ),
        (
            "targeted",
            json!({ "country": "NL" }),
            "off",
            Reason::Default,
        ),
        (
            "disabled",
            json!({ "country": "NL" }),
            "off",
            Reason::Disabled,
        ),
        ("disabled", json!({}), "off", Reason::Disabled),
        ("static", json!({ "country": "NL" }), "on", Reason::Static),
    ];
    for (flag, user, variant, reason) in cases {
        let evaluation = evaluate(&snapshot, flag, &context(user.clone()));
        assert_eq!(
            served(&evaluation),
            (Some(variant), reason),
            "{flag} {user}"
        );
    }
}

#[test]
fn a_rollout_in_a_rule_or_in_the_default_is_a_split() {
    let snapshot = fixtures();
    let nl = context(json!({ "targetingKey": "user-1", "country": "NL" }));
    assert_eq!(evaluate(&snapshot, "rule-split", &nl).reason, Reason::Split);
    assert_eq!(
        evaluate(&snapshot, "default-split", &nl).reason,
        Reason::Split
    );
    let expected = if bucket("default-split", "user-1") < 5000 {
        "on"
    } else {
        "off"
    };
    assert_eq!(
        evaluate(&snapshot, "default-split", &nl).variant,
        Some(expected)
    );
}

#[test]
fn object_variants_are_served_as_their_json_value() {
    let snapshot = fixtures();
    let evaluation = evaluate(&snapshot, "limits", &Context::new());
    assert_eq!(evaluation.value, Some(&json!({ "max": 1000 })));
    assert_variant_index(&snapshot, &evaluation);
}

#[test]
fn an_unknown_flag_or_one_not_configured_here_is_not_found() {
    let snapshot = fixtures();
    let user = Context::with_targeting_key("u");
    for key in ["no-such-flag", "elsewhere"] {
        let evaluation = evaluate(&snapshot, key, &user);
        assert_eq!(failed(&evaluation), ErrorCode::FlagNotFound);
        assert_eq!(evaluation.flag_index(), None);
        assert!(evaluation.error_details.unwrap().contains(key));
    }
}

#[test]
fn a_rollout_without_a_unit_reports_the_missing_targeting_key() {
    let snapshot = fixtures();
    for user in [context(json!({})), context(json!({ "targetingKey": null }))] {
        let evaluation = evaluate(&snapshot, "default-split", &user);
        assert_eq!(failed(&evaluation), ErrorCode::TargetingKeyMissing);
        assert!(evaluation.error_details.unwrap().contains("targetingKey"));
    }
    let evaluation = evaluate(&snapshot, "by-company", &Context::with_targeting_key("u"));
    assert_eq!(failed(&evaluation), ErrorCode::TargetingKeyMissing);
    assert!(evaluation.error_details.unwrap().contains("company"));
}

#[test]
fn a_targeting_key_that_is_not_a_string_is_an_invalid_context() {
    let snapshot = fixtures();
    for key in [json!(42), json!(true), json!(["u"]), json!({ "id": "u" })] {
        for flag in ["static", "default-split", "disabled"] {
            let evaluation = evaluate(&snapshot, flag, &context(json!({ "targetingKey": key })));
            assert_eq!(
                failed(&evaluation),
                ErrorCode::InvalidContext,
                "{flag} {key}"
            );
        }
    }
}

#[test]
fn a_stickiness_attribute_that_is_neither_string_nor_integer_is_an_invalid_context() {
    let snapshot = fixtures();
    for company in [
        json!(3.5),
        json!(false),
        json!(["acme"]),
        json!({ "id": 1 }),
    ] {
        let user = context(json!({ "targetingKey": "u", "company": company }));
        let evaluation = evaluate(&snapshot, "by-company", &user);
        assert_eq!(failed(&evaluation), ErrorCode::InvalidContext, "{company}");
        assert!(evaluation.error_details.unwrap().contains("company"));
    }
}

#[test]
fn an_integer_stickiness_attribute_buckets_as_its_decimal_digits() {
    let snapshot = fixtures();
    for (number, digits) in [
        (json!(1234), "1234"),
        (json!(-7), "-7"),
        (json!(u64::MAX), "18446744073709551615"),
    ] {
        let as_number = evaluate(
            &snapshot,
            "by-company",
            &context(json!({ "company": number })),
        );
        let as_text = evaluate(
            &snapshot,
            "by-company",
            &context(json!({ "company": digits })),
        );
        assert_eq!(as_number.reason, Reason::Split);
        assert_eq!(as_number.variant, as_text.variant, "{number}");
        let bucket = bucket("s", digits);
        let expected = ["a", "b", "c"][usize::from(bucket >= 3333) + usize::from(bucket >= 6666)];
        assert_eq!(as_number.variant, Some(expected));
    }
}

#[test]
fn a_custom_stickiness_attribute_ignores_the_targeting_key() {
    let snapshot = fixtures();
    let variants: Vec<_> = (0..20)
        .map(|i| {
            let user = context(json!({ "targetingKey": format!("user-{i}"), "company": "acme" }));
            evaluate(&snapshot, "by-company", &user).variant
        })
        .collect();
    assert!(variants.iter().all(|v| *v == variants[0]), "{variants:?}");
}

#[test]
fn reason_and_error_names_are_openfeatures() {
    let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "STATIC",
            "DEFAULT",
            "TARGETING_MATCH",
            "SPLIT",
            "DISABLED",
            "ERROR"
        ]
    );
    assert_eq!(ErrorCode::FlagNotFound.as_str(), "FLAG_NOT_FOUND");
    assert_eq!(
        ErrorCode::TargetingKeyMissing.as_str(),
        "TARGETING_KEY_MISSING"
    );
    assert_eq!(ErrorCode::InvalidContext.as_str(), "INVALID_CONTEXT");
}

// --- Segments -------------------------------------------------------------------------

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

fn in_segment(snapshot: &Snapshot, flag: &str, user: Value) -> bool {
    let evaluation = evaluate(snapshot, flag, &context(user));
    assert_ne!(evaluation.reason, Reason::Error, "{evaluation:?}");
    evaluation.reason == Reason::TargetingMatch
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

#[test]
fn the_first_matching_rule_wins() {
    let rules = json!([
        country_rule("NL", json!({ "variant": "off" })),
        country_rule("NL", json!({ "variant": "on" }))
    ]);
    let snapshot = common::snapshot(&[bool_flag("ordered", rules, json!({ "variant": "on" }))]);
    let evaluation = evaluate(&snapshot, "ordered", &context(json!({ "country": "NL" })));
    assert_eq!(served(&evaluation), (Some("off"), Reason::TargetingMatch));
}

// --- What compilation leaves out ------------------------------------------------------

#[test]
fn a_flag_that_does_not_compile_is_left_out_with_a_warning_and_the_rest_are_served() {
    let broken = bool_flag(
        "broken",
        json!([{ "segment": "nope", "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let fine = bool_flag("fine", json!([]), json!({ "variant": "on" }));
    let compiled = compile(ENV, 3, [&broken, &fine], &builtin_segments());
    assert_eq!(compiled.snapshot.revision(), 3);
    assert_eq!(compiled.snapshot.flag_keys().collect::<Vec<_>>(), ["fine"]);
    let fields: Vec<&str> = compiled.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["flags.broken.rules[0].segment"]);
}

#[test]
fn a_segment_that_does_not_compile_is_left_out_and_so_are_the_flags_using_it() {
    let bad = segment(json!({ "key": "bad", "rules": [ { "conditions": [
        { "attribute": "email", "op": "matches", "values": ["(unclosed"] } ] } ] }));
    let user = bool_flag(
        "user",
        json!([{ "segment": "bad", "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let compiled = compile(ENV, 1, [&user], [&bad]);
    assert!(compiled.snapshot.is_empty());
    let fields: Vec<&str> = compiled.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "segments.bad.rules[0].conditions[0].values[0]",
            "flags.user.rules[0].segment"
        ]
    );
}

#[test]
fn a_flag_with_more_variants_than_allowed_is_left_out() {
    let variants: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("v{i:03}"), json!(i))).collect();
    let many = flag(json!({
        "key": "many",
        "variants": variants,
        "environments": { ENV: { "enabled": true, "off_variant": "v000", "default": { "variant": "v100" } } }
    }));
    let compiled = compile(ENV, 1, [&many], &builtin_segments());
    assert!(compiled.snapshot.is_empty());
    assert_eq!(compiled.warnings[0].field, "flags.many.variants");
    assert!(
        compiled.warnings[0]
            .message
            .contains("at most 100 variants, got 101")
    );
}

#[test]
fn flags_and_segments_sharing_a_regular_expression_each_match_with_it() {
    let pattern = json!([{ "attribute": "email", "op": "matches", "values": ["@example\\.com$"] }]);
    let staff = segment(json!({ "key": "staff", "rules": [ { "conditions": pattern } ] }));
    let by_segment = bool_flag(
        "by-segment",
        json!([{ "segment": "staff", "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let by_rule = bool_flag(
        "by-rule",
        json!([{ "conditions": pattern, "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let snapshot = compile_with(&[by_segment, by_rule], &[staff]);
    for flag in ["by-segment", "by-rule"] {
        assert!(
            in_segment(&snapshot, flag, json!({ "email": "jan@example.com" })),
            "{flag}"
        );
        assert!(
            !in_segment(&snapshot, flag, json!({ "email": "jan@example.org" })),
            "{flag}"
        );
    }
}
