//! What a split buckets on: the targeting key, or a custom stickiness attribute (a
//! string, or an integer as its decimal digits) — and the invalid contexts that leave a
//! split without one.

use rollgate_core::bucket::bucket;
use rollgate_core::{Context, ErrorCode, Reason, evaluate};
use serde_json::json;

use crate::common::context;
use crate::{failed, fixtures};

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
