//! Validation names the exact field at fault. Each case changes one field of a valid
//! document (or spells a document out when the fault is in its JSON text) and expects an
//! error at that field's path whose message contains a given fragment.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

mod common;

use common::catalog;
use rollgate_core::model::{Environment, Flag, Segment};
use rollgate_core::validate::{
    FieldError, ParseError, parse, validate_environment, validate_flag, validate_segment,
};
use serde_json::{Value, json};

/// The flag of docs/product.md §1.1, which is valid.
fn valid_flag() -> Value {
    json!({
        "key": "new-checkout",
        "description": "One-page checkout",
        "variants": { "on": true, "off": false },
        "tags": ["checkout"],
        "environments": {
            "production": {
                "enabled": true,
                "off_variant": "off",
                "salt": "new-checkout",
                "stickiness": "targetingKey",
                "rules": [
                    { "segment": "alpha", "serve": { "variant": "on" } },
                    { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE"] } ],
                      "serve": { "rollout": [ { "variant": "on", "weight": 5000 }, { "variant": "off", "weight": 5000 } ] } }
                ],
                "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] }
            }
        }
    })
}

fn valid_segment() -> Value {
    json!({
        "key": "beta-testers",
        "description": "Opted-in customers",
        "include": ["user-7"],
        "exclude": ["user-9"],
        "rules": [ { "conditions": [ { "attribute": "ring", "op": "in", "values": ["beta"] } ] } ]
    })
}

/// `document` with the value at JSON pointer `pointer` replaced (or added).
fn patched(mut document: Value, pointer: &str, value: Value) -> String {
    let (parent, last) = pointer.rsplit_once('/').expect("a JSON pointer");
    match document.pointer_mut(parent).expect("the parent exists") {
        Value::Object(map) => {
            map.insert(last.to_owned(), value);
        }
        Value::Array(items) => items[last.parse::<usize>().expect("an index")] = value,
        other => panic!("cannot patch into {other}"),
    }
    document.to_string()
}

fn errors_of<T: serde::de::DeserializeOwned>(
    document: &str,
    validate: impl Fn(&T) -> Vec<FieldError>,
) -> Vec<FieldError> {
    match parse::<T>(document.as_bytes()) {
        Ok(value) => validate(&value),
        Err(ParseError::Invalid(errors)) => errors,
        Err(syntax) => panic!("cases are JSON: {syntax}"),
    }
}

fn flag_errors(document: &str) -> Vec<FieldError> {
    errors_of(document, |flag: &Flag| validate_flag(flag, &catalog()))
}

fn segment_errors(document: &str) -> Vec<FieldError> {
    errors_of(document, validate_segment)
}

fn assert_reported(errors: &[FieldError], field: &str, fragment: &str, case: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.field == field && e.message.contains(fragment)),
        "{case}: expected an error at {field:?} containing {fragment:?}, got {errors:#?}"
    );
}

#[test]
fn the_valid_documents_have_no_errors() {
    assert_eq!(flag_errors(&valid_flag().to_string()), []);
    assert_eq!(segment_errors(&valid_segment().to_string()), []);
    let environment = Environment {
        key: "staging".to_owned(),
        description: String::new(),
        release_policy: None,
    };
    assert_eq!(validate_environment(&environment), []);
}

#[test]
fn each_faulty_flag_field_is_named_by_its_path() {
    let condition =
        |op: &str, values: Value| json!({ "attribute": "v", "op": op, "values": values });
    let first_condition = "/environments/production/rules/1/conditions/0";
    let condition_values = "environments.production.rules[1].conditions[0].values";
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        // Serves that name variants the flag does not have.
        ("/environments/production/rules/0/serve/variant", json!("maybe"), "environments.production.rules[0].serve.variant", "unknown variant \"maybe\""),
        ("/environments/production/off_variant", json!("nope"), "environments.production.off_variant", "unknown variant \"nope\""),
        ("/environments/production/default/rollout/1/variant", json!("x"), "environments.production.default.rollout[1].variant", "unknown variant \"x\""),
        // Weights.
        ("/environments/production/default/rollout/1/weight", json!(7000), "environments.production.default.rollout", "must sum to 10000 basis points (100 %), got 9500 (95.00 %)"),
        ("/environments/production/rules/1/serve/rollout/0/weight", json!(6000), "environments.production.rules[1].serve.rollout", "got 11000 (110.00 %)"),
        ("/environments/production/default/rollout", json!([{ "variant": "on", "weight": 20000 }]), "environments.production.default.rollout[0].weight", "between 0 and 10000"),
        ("/environments/production/default/rollout", json!([]), "environments.production.default.rollout", "at least one variant"),
        ("/environments/production/default/rollout", json!(vec![json!({ "variant": "on", "weight": 0 }); 101]), "environments.production.default.rollout", "at most 100 arms, got 101"),
        ("/environments/production/default/rollout/0/weight", json!(-1), "environments.production.default.rollout[0].weight", "invalid value"),
        ("/environments/production/default/rollout/0/weight", json!("2500"), "environments.production.default.rollout[0].weight", "invalid type"),
        ("/environments/production/default/rollout", json!([{ "variant": "on", "weight": 5000 }, { "variant": "on", "weight": 5000 }]), "environments.production.default.rollout[1].variant", "duplicate variant \"on\""),
        // A total weight of the rollout's own.
        ("/environments/production/default/total_weight", json!(3), "environments.production.default.rollout", "must sum to the total weight 3, got 10000"),
        ("/environments/production/default/total_weight", json!(0), "environments.production.default.total_weight", "between 1 and 2147483647"),
        ("/environments/production/default/total_weight", json!(2_147_483_648_u64), "environments.production.default.total_weight", "between 1 and 2147483647"),
        ("/environments/production/default", json!({ "rollout": [{ "variant": "on", "weight": 4 }, { "variant": "off", "weight": 0 }], "total_weight": 3 }), "environments.production.default.rollout[0].weight", "between 0 and 3 (the total weight)"),
        ("/environments/production/rules/0/serve/total_weight", json!(3), "environments.production.rules[0].serve.total_weight", "only a `rollout`"),
        // Serve shape.
        ("/environments/production/default/variant", json!("on"), "environments.production.default", "not both"),
        ("/environments/production/default", json!({}), "environments.production.default", "give one of"),
        // Variants.
        // (`json!` sorts object keys, so `off` is the first variant and `on` the odd one.)
        ("/variants", json!({ "off": false, "on": "yes" }), "variants.on", "mixed variant types"),
        ("/variants", json!({ "off": 0.5, "on": 1 }), "variants.on", "mixed variant types"),
        ("/variants", json!({ "on": true, "off": null }), "variants.off", "cannot be null"),
        ("/variants", json!({}), "variants", "at least one variant"),
        ("/variants", json!({ "on": true, "off": false, "o ff": true }), "variants.o ff", "only letters"),
        // Conditions.
        (first_condition, json!({ "attribute": "email", "op": "matches", "values": ["(unclosed"] }), "environments.production.rules[1].conditions[0].values[0]", "bad regular expression"),
        (first_condition, condition("matches", json!(["ok", 42])), "environments.production.rules[1].conditions[0].values[1]", "regular expressions as strings"),
        (first_condition, condition("semver_gt", json!(["2.x"])), "environments.production.rules[1].conditions[0].values[0]", "semantic versions"),
        (first_condition, condition("semver_eq", json!([240])), "environments.production.rules[1].conditions[0].values[0]", "semantic versions"),
        (first_condition, condition("before", json!(["tomorrow"])), "environments.production.rules[1].conditions[0].values[0]", "RFC 3339"),
        (first_condition, condition("after", json!([1767225600])), "environments.production.rules[1].conditions[0].values[0]", "RFC 3339"),
        (first_condition, condition("gt", json!([1, "10"])), "environments.production.rules[1].conditions[0].values[1]", "needs numbers"),
        (first_condition, condition("starts_with", json!([true])), "environments.production.rules[1].conditions[0].values[0]", "needs strings"),
        (first_condition, condition("in", json!([{ "a": 1 }])), "environments.production.rules[1].conditions[0].values[0]", "strings, numbers or booleans"),
        (first_condition, condition("exists", json!(["x"])), condition_values, "takes no values"),
        (first_condition, condition("in", json!([])), condition_values, "needs at least one value"),
        (first_condition, json!({ "attribute": "", "op": "in", "values": ["x"] }), "environments.production.rules[1].conditions[0].attribute", "1 to 256 bytes"),
        (first_condition, json!({ "attribute": "v", "op": "greater", "values": [1] }), "environments.production.rules[1].conditions[0].op", "unknown variant `greater`"),
        (first_condition, json!({ "attribute": "v", "op": "in", "values": "x" }), "environments.production.rules[1].conditions[0].values", "invalid type"),
        // Documents the flag refers to.
        ("/environments/production/rules/0/segment", json!("gamma"), "environments.production.rules[0].segment", "unknown segment \"gamma\""),
        ("/environments/staging", valid_flag()["environments"]["production"].clone(), "environments.staging", "unknown environment \"staging\""),
        // Keys.
        ("/key", json!(""), "key", "must not be empty"),
        ("/key", json!("new checkout"), "key", "only letters, digits"),
        ("/key", json!("new/checkout"), "key", "only letters, digits"),
        ("/key", json!("ключ"), "key", "only letters, digits"),
        ("/key", json!("k".repeat(129)), "key", "at most 128"),
        // Lists and text.
        ("/tags", json!(["checkout", "web", "checkout"]), "tags[2]", "duplicate entry \"checkout\""),
        ("/tags", json!([""]), "tags[0]", "1 to 64 bytes"),
        ("/description", json!("d".repeat(4097)), "description", "at most 4096"),
        ("/environments/production/salt", json!(""), "environments.production.salt", "1 to 256 bytes"),
        ("/environments/production/unsalted", json!(true), "environments.production.unsalted", "give `salt` or `unsalted`, not both"),
        ("/environments/production/stickiness", json!(""), "environments.production.stickiness", "1 to 256 bytes"),
        // Unknown fields, wherever they are.
        ("/enabled", json!(true), "enabled", "unknown field `enabled`"),
        ("/environments/production/enabeld", json!(true), "environments.production.enabeld", "unknown field `enabeld`"),
        ("/environments/production/rules/0/segmnet", json!("alpha"), "environments.production.rules[0].segmnet", "unknown field `segmnet`"),
        ("/environments/production/rules/1/conditions/0/operator", json!("in"), "environments.production.rules[1].conditions[0].operator", "unknown field `operator`"),
        ("/environments/production/default/rollout/0/percent", json!(25), "environments.production.default.rollout[0].percent", "unknown field `percent`"),
    ];
    for (pointer, value, field, fragment) in cases {
        let case = format!("{pointer} = {value}");
        assert_reported(
            &flag_errors(&patched(valid_flag(), pointer, value)),
            field,
            fragment,
            &case,
        );
    }
}

#[test]
fn faults_in_the_json_text_are_named_by_their_path() {
    let off = r#""off_variant": "off", "default": { "variant": "on" }"#;
    #[rustfmt::skip]
    let cases = [
        (r#"{ "key": "f", "variants": { "on": true, "off": false, "on": false } }"#.to_owned(), "variants", "duplicate key \"on\""),
        (format!(r#"{{ "key": "f", "variants": {{ "on": true, "off": false }}, "environments": {{ "production": {{ {off} }}, "production": {{ {off} }} }} }}"#), "environments", "duplicate key \"production\""),
        (r#"{ "key": "f", "variants": { "on": true }, "environments": { "production": { "default": { "variant": "on" } } } }"#.to_owned(), "environments.production.off_variant", "missing field `off_variant`"),
        (r#"{ "key": "f" }"#.to_owned(), "variants", "missing field `variants`"),
    ];
    for (document, field, fragment) in cases {
        assert_reported(&flag_errors(&document), field, fragment, &document);
    }
}

#[test]
fn each_faulty_segment_field_is_named_by_its_path() {
    let condition = "/rules/0/conditions/0";
    #[rustfmt::skip]
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("/include", json!(["user-7", "user-8", "user-7"]), "include[2]", "duplicate entry \"user-7\""),
        ("/exclude", json!(["user-9", "user-9"]), "exclude[1]", "duplicate entry \"user-9\""),
        ("/include", json!([""]), "include[0]", "1 to 1024 bytes"),
        ("/key", json!(""), "key", "must not be empty"),
        ("/key", json!("beta testers"), "key", "only letters, digits"),
        (condition, json!({ "attribute": "email", "op": "matches", "values": ["[z-a]"] }), "rules[0].conditions[0].values[0]", "bad regular expression"),
        (condition, json!({ "attribute": "version", "op": "semver_lt", "values": ["1.0"] }), "rules[0].conditions[0].values[0]", "semantic versions"),
        ("/inclde", json!([]), "inclde", "unknown field `inclde`"),
        ("/rules/0/conditons", json!([]), "rules[0].conditons", "unknown field `conditons`"),
    ];
    for (pointer, value, field, fragment) in cases {
        let case = format!("{pointer} = {value}");
        assert_reported(
            &segment_errors(&patched(valid_segment(), pointer, value)),
            field,
            fragment,
            &case,
        );
    }
}

#[test]
fn environment_keys_follow_the_key_alphabet() {
    for (key, fragment) in [("", "must not be empty"), ("pro duction", "only letters")] {
        let environment = Environment {
            key: key.to_owned(),
            description: String::new(),
            release_policy: None,
        };
        assert_reported(&validate_environment(&environment), "key", fragment, key);
    }
    let unknown = parse::<Environment>(br#"{ "key": "qa", "colour": "red" }"#).unwrap_err();
    assert_reported(
        unknown.errors(),
        "colour",
        "unknown field `colour`",
        "environment",
    );
    assert!(
        parse::<Segment>(br#"{ "key": "s" }"#).is_ok(),
        "a segment needs only a key"
    );
}
