//! The evaluation order of docs/product.md §2 and the reason each step gives: static,
//! disabled, targeting match, split, default — and the error codes of a flag that
//! cannot be served.

use rollgate_core::bucket::bucket;
use rollgate_core::{Context, ErrorCode, Evaluation, Reason, Snapshot, evaluate};
use serde_json::json;

use crate::common::{self, bool_flag, context};
use crate::{country_rule, failed, fixtures, served};

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

/// Steps 3 to 5 of docs/product.md §2: disabled, first matching rule, default.
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

/// The evaluation names the rule that matched — the first that does, also when it
/// serves a split — and none when the default or the off variant was served.
#[test]
fn the_rule_that_matched_is_named_by_its_position() {
    let on = json!({ "variant": "on" });
    let off = json!({ "variant": "off" });
    let flags = [bool_flag(
        "two-rules",
        json!([
            country_rule("US", on.clone()),
            country_rule("NL", common::rollout(&[("on", 5000), ("off", 5000)])),
            country_rule("NL", off.clone())
        ]),
        off,
    )];
    let snapshot = common::compile_with(&flags, &[]);
    let rule = |user: serde_json::Value| {
        let evaluation = evaluate(&snapshot, "two-rules", &context(user));
        (evaluation.reason, evaluation.rule_index())
    };
    assert_eq!(
        rule(json!({ "targetingKey": "u", "country": "US" })),
        (Reason::TargetingMatch, Some(0))
    );
    assert_eq!(
        rule(json!({ "targetingKey": "u", "country": "NL" })),
        (Reason::Split, Some(1)),
        "the first rule that matches, though a later one matches too"
    );
    assert_eq!(
        rule(json!({ "targetingKey": "u", "country": "FR" })),
        (Reason::Default, None)
    );
    assert_eq!(
        rule(json!({ "targetingKey": 7, "country": "US" })).1,
        None,
        "an error names no rule"
    );
}
