//! Every condition operator, case by case: match and non-match, negation, missing and
//! null attributes, list attributes, attributes of the wrong type, numeric strings,
//! `v`-prefixed versions, RFC 3339 and Unix-seconds times.
//!
//! One table drives it; every row is also checked negated, so `negate` is proved for
//! each case, and a coverage test insists every operator has rows both ways.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

use rollgate_core::Context;
use rollgate_core::compile::{Matcher, compile_condition};
use rollgate_core::model::{Condition, Operator};
use serde_json::{Value, json};

use Operator::*;

const ATTRIBUTE: &str = "attr";
/// 2026-01-01T00:00:00Z in Unix seconds.
const NEW_YEAR: i64 = 1_767_225_600;

fn matcher(op: Operator, values: &Value, negate: bool) -> Matcher {
    let condition = Condition {
        attribute: ATTRIBUTE.to_owned(),
        op,
        values: values.as_array().expect("values are a list").clone(),
        negate,
    };
    compile_condition("condition", &condition)
        .unwrap_or_else(|errors| panic!("{op:?} {values} must compile: {errors:?}"))
}

fn context_with(attribute: Option<&Value>) -> Context {
    let mut context = Context::with_targeting_key("user-1");
    if let Some(value) = attribute {
        context.insert(ATTRIBUTE, value.clone());
    }
    context
}

/// `(operator, operands, attribute value or None for missing, expected match)`.
type Case = (Operator, Value, Option<Value>, bool);

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let many: Vec<String> = (0..20).map(|i| format!("tenant-{i}")).collect();
    vec![
        // in: equality by JSON type; a list attribute matches when any element does.
        (In, json!(["NL", "BE"]), Some(json!("NL")), true),
        (In, json!(["NL", "BE"]), Some(json!("DE")), false),
        (In, json!(["NL"]), Some(json!(["DE", "NL"])), true),
        (In, json!(["NL"]), Some(json!(["DE", "FR"])), false),
        (In, json!(["NL"]), Some(json!([])), false),
        (In, json!([1, 2]), Some(json!(2)), true),
        (In, json!([2]), Some(json!(2.0)), true),
        (In, json!([1]), Some(json!("1")), false),
        (In, json!(["1"]), Some(json!(1)), false),
        (In, json!([true]), Some(json!(true)), true),
        (In, json!([true]), Some(json!(false)), false),
        (In, json!(["NL"]), Some(json!({ "NL": true })), false),
        (In, json!(many), Some(json!("tenant-19")), true),
        (In, json!(many), Some(json!("tenant-20")), false),
        // not_in: matches when no operand (and no element of a list) equals the value.
        (NotIn, json!(["NL", "BE"]), Some(json!("DE")), true),
        (NotIn, json!(["NL", "BE"]), Some(json!("NL")), false),
        (NotIn, json!(["NL"]), Some(json!(["DE", "FR"])), true),
        (NotIn, json!(["NL"]), Some(json!(["DE", "NL"])), false),
        (NotIn, json!([1]), Some(json!(1)), false),
        (NotIn, json!([1]), Some(json!("1")), true),
        (NotIn, json!(many), Some(json!("tenant-3")), false),
        // String operators: a non-string attribute never matches.
        (StartsWith, json!(["qa-", "test-"]), Some(json!("test-42")), true),
        (StartsWith, json!(["qa-"]), Some(json!("prod-qa-1")), false),
        (StartsWith, json!(["4"]), Some(json!(42)), false),
        (StartsWith, json!(["qa-"]), Some(json!(["x", "qa-1"])), true),
        (EndsWith, json!(["@example.com"]), Some(json!("jan@example.com")), true),
        (EndsWith, json!(["@example.com"]), Some(json!("jan@example.org")), false),
        (EndsWith, json!(["true"]), Some(json!(true)), false),
        (Contains, json!(["beta"]), Some(json!("closed-beta-2")), true),
        (Contains, json!(["beta"]), Some(json!("alpha")), false),
        (Contains, json!(["1"]), Some(json!(1)), false),
        (Matches, json!(["^user-[0-9]+$"]), Some(json!("user-42")), true),
        (Matches, json!(["^user-[0-9]+$"]), Some(json!("user-x")), false),
        (Matches, json!(["[0-9]"]), Some(json!("a1b")), true),
        (Matches, json!(["^4"]), Some(json!(42)), false),
        (Matches, json!(["^x$", "^y$"]), Some(json!(["a", "y"])), true),
        // Numbers, and strings that spell one.
        (Eq, json!([5]), Some(json!(5)), true),
        (Eq, json!([5]), Some(json!(5.0)), true),
        (Eq, json!([5]), Some(json!("5")), true),
        (Eq, json!([5]), Some(json!(" 5 ")), true),
        (Eq, json!([5]), Some(json!(6)), false),
        (Eq, json!([5]), Some(json!("five")), false),
        (Eq, json!([1]), Some(json!(true)), false),
        (Eq, json!([1, 2]), Some(json!(2)), true),
        // Integers keep all 64 bits: IDs beyond 2^53 are not rounded together.
        (Eq, json!([9_007_199_254_740_993_u64]), Some(json!(9_007_199_254_740_992_u64)), false),
        (Eq, json!([u64::MAX]), Some(json!("18446744073709551615")), true),
        (In, json!([1_234_567_890_123_456_789_u64]), Some(json!(1_234_567_890_123_456_788_u64)), false),
        (In, json!([1_234_567_890_123_456_789_u64]), Some(json!(1_234_567_890_123_456_789_u64)), true),
        (Lt, json!([9_007_199_254_740_993_u64]), Some(json!(9_007_199_254_740_992_u64)), true),
        (Gte, json!([2.5]), Some(json!(2)), false),
        (Gte, json!([2]), Some(json!("2.0")), true),
        (Ne, json!([5]), Some(json!(6)), true),
        (Ne, json!([5]), Some(json!("6")), true),
        (Ne, json!([5]), Some(json!(5)), false),
        (Ne, json!([5]), Some(json!("abc")), false),
        (Lt, json!([10]), Some(json!(9.5)), true),
        (Lt, json!([10]), Some(json!("9")), true),
        (Lt, json!([10]), Some(json!(10)), false),
        (Lt, json!([10]), Some(json!("NaN")), false),
        (Lt, json!([10]), Some(json!("-inf")), false),
        (Lt, json!([10]), Some(json!([20, 3])), true),
        (Lte, json!([10]), Some(json!(10)), true),
        (Lte, json!([10]), Some(json!(10.5)), false),
        (Gt, json!([10]), Some(json!(11)), true),
        (Gt, json!([10]), Some(json!("1e2")), true),
        (Gt, json!([10]), Some(json!(10)), false),
        (Gt, json!([10, 100]), Some(json!(50)), true),
        (Gte, json!([10]), Some(json!(10)), true),
        (Gte, json!([10]), Some(json!(-10)), false),
        (Gte, json!([0]), Some(json!({ "n": 1 })), false),
        // Semantic versions: precedence, not text order; a leading `v` is accepted on
        // the attribute; build metadata does not count (SemVer 2.0 §10).
        (SemverEq, json!(["2.4.0"]), Some(json!("2.4.0")), true),
        (SemverEq, json!(["2.4.0"]), Some(json!("v2.4.0")), true),
        (SemverEq, json!(["2.4.0"]), Some(json!("2.4.0+build.7")), true),
        (SemverEq, json!(["2.4.0"]), Some(json!("2.4.1")), false),
        (SemverEq, json!(["2.4.0"]), Some(json!("2.4")), false),
        (SemverEq, json!(["2.4.0"]), Some(json!(240)), false),
        (SemverLt, json!(["2.4.0"]), Some(json!("2.3.9")), true),
        (SemverLt, json!(["2.4.0"]), Some(json!("2.4.0-rc.1")), true),
        (SemverLt, json!(["2.4.0"]), Some(json!("2.4.0")), false),
        (SemverLt, json!(["2.4.0"]), Some(json!("v10.0.0")), false),
        (SemverGt, json!(["2.4.0"]), Some(json!("2.10.0")), true),
        (SemverGt, json!(["2.4.0"]), Some(json!("v2.4.1")), true),
        (SemverGt, json!(["2.4.0"]), Some(json!("2.4.0+build.9")), false),
        (SemverGt, json!(["2.4.0"]), Some(json!("2.4.0")), false),
        (SemverGt, json!(["2.4.0"]), Some(json!("garbage")), false),
        // Times: RFC 3339 strings (any offset) or Unix seconds; strict comparisons.
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!("2025-12-31T23:59:59Z")), true),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!("2026-01-01T00:59:59+01:00")), true),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!(NEW_YEAR - 1)), true),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!(NEW_YEAR as f64 - 0.5)), true),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!("2026-01-01T00:00:00Z")), false),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!(NEW_YEAR)), false),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!("yesterday")), false),
        (Before, json!(["2026-01-01T00:00:00Z"]), Some(json!(true)), false),
        (After, json!(["2026-01-01T00:00:00Z"]), Some(json!("2026-01-01T00:00:01Z")), true),
        (After, json!(["2026-01-01T00:00:00Z"]), Some(json!(NEW_YEAR + 1)), true),
        (After, json!(["2026-01-01T00:00:00Z"]), Some(json!(NEW_YEAR)), false),
        (After, json!(["2026-01-01T00:00:00Z"]), Some(json!("2026-01-01T01:00:00+01:00")), false),
        (After, json!(["2026-01-01T00:00:00Z"]), Some(json!("2026-01-01")), false),
        // exists: present and not null, whatever the type.
        (Exists, json!([]), Some(json!("x")), true),
        (Exists, json!([]), Some(json!(0)), true),
        (Exists, json!([]), Some(json!(false)), true),
        (Exists, json!([]), Some(json!([])), true),
        (Exists, json!([]), Some(Value::Null), false),
        (Exists, json!([]), None, false),
    ]
}

#[test]
fn every_case_matches_as_expected_and_negation_inverts_it() {
    for (op, values, attribute, expected) in cases() {
        let context = context_with(attribute.as_ref());
        assert_eq!(
            matcher(op, &values, false).matches(&context),
            expected,
            "{op:?} {values} against {attribute:?}"
        );
        assert_eq!(
            matcher(op, &values, true).matches(&context),
            !expected,
            "negated {op:?} {values} against {attribute:?}"
        );
    }
}

#[test]
fn every_operator_has_cases_that_match_and_cases_that_do_not() {
    let cases = cases();
    for op in Operator::ALL {
        for expected in [true, false] {
            assert!(
                cases.iter().any(|(o, _, _, e)| *o == op && *e == expected),
                "{op:?} lacks a case where it {}",
                if expected {
                    "matches"
                } else {
                    "does not match"
                }
            );
        }
    }
}

/// A missing or null attribute matches no operator — `not_in` included — and so every
/// negated operator matches it.
#[test]
fn a_missing_or_null_attribute_matches_nothing_before_negation() {
    let operands_of = |op: Operator| -> Value {
        cases()
            .into_iter()
            .find(|(o, ..)| *o == op)
            .map(|(_, values, ..)| values)
            .expect("every operator has a case")
    };
    for op in Operator::ALL {
        let values = operands_of(op);
        for attribute in [None, Some(Value::Null)] {
            let context = context_with(attribute.as_ref());
            assert!(
                !matcher(op, &values, false).matches(&context),
                "{op:?} {attribute:?}"
            );
            assert!(
                matcher(op, &values, true).matches(&context),
                "negated {op:?} {attribute:?}"
            );
        }
    }
}

#[test]
fn operator_names_round_trip_through_the_wire_format() {
    for op in Operator::ALL {
        let wire = serde_json::to_value(op).unwrap();
        assert_eq!(wire, json!(op.as_str()));
        assert_eq!(serde_json::from_value::<Operator>(wire).unwrap(), op);
    }
}
