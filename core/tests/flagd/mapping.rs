//! What an import writes: the shape of the documents for each flagd construct, and how
//! it treats keys that already exist.

use rollgate_core::flagd::{Documents, ImportOptions, import};
use rollgate_core::model::{Flag, Operator};
use serde_json::{Value, json};

use super::{ENV, empty_catalog, imported, try_import};

fn flag_file(targeting: Value) -> Value {
    json!({ "flags": { "checkout": {
        "state": "ENABLED",
        "variants": { "on": true, "off": false },
        "defaultVariant": "off",
        "targeting": targeting
    } } })
}

fn only_flag(file: &Value) -> Flag {
    imported(file).flags.remove(0).document
}

fn config(flag: &Flag) -> Value {
    serde_json::to_value(&flag.environments[ENV]).unwrap()
}

#[test]
fn an_if_chain_becomes_ordered_rules_and_a_default() {
    let flag = only_flag(&flag_file(json!({ "if": [
        { "ends_with": [{ "var": "email" }, "@company.com"] }, "on",
        { "in": [{ "var": "country" }, ["NL", "BE"]] }, "on",
        "off"
    ] })));
    assert_eq!(
        config(&flag),
        json!({
            "enabled": true, "off_variant": "off",
            "rules": [
                { "conditions": [{ "attribute": "email", "op": "ends_with", "values": ["@company.com"] }], "serve": { "variant": "on" } },
                { "conditions": [{ "attribute": "country", "op": "in", "values": ["NL", "BE"] }], "serve": { "variant": "on" } }
            ],
            "default": { "variant": "off" }
        })
    );
}

#[test]
fn a_condition_as_the_result_serves_the_variants_named_true_and_false() {
    let flag = only_flag(&json!({ "flags": { "banner": {
        "state": "ENABLED", "variants": { "true": true, "false": false }, "defaultVariant": "false",
        "targeting": { "in": ["@example.com", { "var": "email" }] }
    } } }));
    assert_eq!(
        config(&flag),
        json!({
            "enabled": true, "off_variant": "false",
            "rules": [{ "conditions": [{ "attribute": "email", "op": "contains", "values": ["@example.com"] }], "serve": { "variant": "true" } }],
            "default": { "variant": "false" }
        })
    );
    let problems =
        try_import(&flag_file(json!({ "==": [{ "var": "tier" }, "gold"] }))).unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("chooses the variant named \"true\" or \"false\""),
        "{problems:?}"
    );
    let problems = try_import(&json!({ "flags": { "b": {
        "state": "ENABLED", "variants": { "true": true, "false": false }, "defaultVariant": "false",
        "targeting": { "or": [{ "==": [{ "var": "tier" }, "gold"] }, "true"] }
    } } }))
    .unwrap_err();
    assert!(
        problems[0].message.contains("answer that literal"),
        "{problems:?}"
    );
}

#[test]
fn or_and_negation_become_several_rules_with_negated_conditions() {
    let flag = only_flag(&flag_file(json!({ "if": [
        { "!": { "and": [{ "==": [{ "var": "plan" }, "free"] }, { "starts_with": [{ "var": "email" }, "test"] }] } },
        "on", null
    ] })));
    let rules = &flag.environments[ENV].rules;
    assert_eq!(rules.len(), 2);
    assert!(rules[0].conditions[0].negate && rules[0].conditions[0].attribute == "plan");
    assert!(rules[1].conditions[0].negate && rules[1].conditions[0].op == Operator::StartsWith);
}

#[test]
fn a_shared_condition_becomes_a_segment_and_a_flag_specific_one_is_inlined() {
    let file = json!({
        "flags": {
            "a": { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
                   "targeting": { "if": [{ "$ref": "staff" }, "on", "off"] } },
            "b": { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
                   "targeting": { "if": [{ "and": [{ "$ref": "staff" }, { "$ref": "this-flag" }] }, "on", "off"] } }
        },
        "$evaluators": {
            "staff": { "ends_with": [{ "var": "email" }, "@company.com"] },
            "this-flag": { "==": [{ "var": "$flagd.flagKey" }, "b"] },
            "unused": { "==": [{ "var": "x" }, 1] }
        }
    });
    let imported = imported(&file);
    assert_eq!(imported.segments.len(), 1);
    let staff = &imported.segments[0].document;
    assert_eq!(staff.key, "staff");
    assert_eq!(staff.rules[0].conditions[0].values, [json!("@company.com")]);
    for written in &imported.flags {
        let rules = &written.document.environments[ENV].rules;
        assert_eq!(
            rules[0].segment.as_deref(),
            Some("staff"),
            "{}",
            written.document.key
        );
        // `$flagd.flagKey == "b"` is true for `b`: nothing more to test.
        assert!(rules[0].conditions.is_empty(), "{:?}", rules[0]);
    }
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.field == "$evaluators.unused"),
        "{:?}",
        imported.notes
    );
}

#[test]
fn a_split_is_guarded_by_its_bucketing_attribute() {
    let flag = only_flag(&flag_file(
        json!({ "fractional": [{ "var": "email" }, ["on", 1], ["off", 2]] }),
    ));
    assert_eq!(
        config(&flag),
        json!({
            "enabled": true, "off_variant": "off",
            "rules": [{ "conditions": [{ "attribute": "email", "op": "exists", "values": [], "negate": true }],
                        "serve": { "variant": "off" } }],
            "default": { "rollout": [{ "variant": "on", "weight": 1 }, { "variant": "off", "weight": 2 }], "total_weight": 3 },
            "unsalted": true,
            "stickiness": "email"
        })
    );
    let flag = only_flag(&flag_file(
        json!({ "fractional": [["on", 25], ["off", 75]] }),
    ));
    let config = config(&flag);
    assert_eq!(
        config["default"],
        json!({ "rollout": [{ "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 }] })
    );
    assert_eq!(
        config["rules"][0]["conditions"][0]["attribute"],
        "targetingKey"
    );
    assert!(config.get("salt").is_none() && config.get("stickiness").is_none());
}

#[test]
fn disabled_metadata_and_mixed_numbers_are_carried_over_with_notes() {
    let file = json!({
        "$schema": "https://flagd.dev/schema/v0/flags.json",
        "metadata": { "team": "payments" },
        "flags": { "limit": {
            "state": "DISABLED", "variants": { "low": 1, "high": 2.5 }, "defaultVariant": "low",
            "metadata": { "owner": "x" }
        } }
    });
    let imported = imported(&file);
    let flag = &imported.flags[0].document;
    assert!(!flag.environments[ENV].enabled);
    assert_eq!(flag.variants["low"], json!(1.0));
    let notes: Vec<&str> = imported.notes.iter().map(|n| n.field.as_str()).collect();
    assert_eq!(
        notes,
        ["metadata", "flags.limit.metadata", "flags.limit.variants"]
    );
}

#[test]
fn existing_keys_conflict_unless_replaced_and_a_replacement_keeps_other_environments() {
    let file = flag_file(json!({ "if": [{ "==": [{ "var": "tier" }, "gold"] }, "on", "off"] }));
    let first = imported(&file);
    let mut existing = first.flags[0].document.clone();
    existing.description = "kept".to_owned();
    let dev = existing.environments[ENV].clone();
    existing.environments.insert("development".to_owned(), dev);
    let catalog = Documents {
        flags: vec![existing],
        ..empty_catalog()
    };
    let bytes = file.to_string();
    let problems = import(bytes.as_bytes(), ENV, &catalog, ImportOptions::default()).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .contains("already exists; import with replace"),
        "{problems:?}"
    );
    let replaced = import(
        bytes.as_bytes(),
        ENV,
        &catalog,
        ImportOptions { replace: true },
    )
    .unwrap();
    let written = &replaced.flags[0];
    assert!(written.replaces);
    assert_eq!(written.document.description, "kept");
    assert_eq!(written.document.environments.len(), 2);
    // A replacement that drops a variant another environment serves is refused.
    let renamed = json!({ "flags": { "checkout": {
        "state": "ENABLED", "variants": { "yes": true, "no": false }, "defaultVariant": "no"
    } } })
    .to_string();
    let problems = import(
        renamed.as_bytes(),
        ENV,
        &catalog,
        ImportOptions { replace: true },
    )
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("environments.development.off_variant")),
        "{problems:?}"
    );
}

#[test]
fn an_unknown_environment_is_refused() {
    let file = flag_file(Value::Null).to_string();
    let problems = import(
        file.as_bytes(),
        "staging",
        &empty_catalog(),
        ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("unknown environment \"staging\""),
        "{problems:?}"
    );
}

#[test]
fn versions_gate_with_bounds_that_keep_non_versions_out() {
    let flag = only_flag(&flag_file(
        json!({ "if": [{ "sem_ver": [{ "var": "version" }, "^", "2.1.0"] }, "on", "off"] }),
    ));
    assert_eq!(
        config(&flag)["rules"][0]["conditions"],
        json!([
            { "attribute": "version", "op": "semver_lt", "values": ["2.0.0-0"], "negate": true },
            { "attribute": "version", "op": "semver_lt", "values": ["3.0.0-0"] }
        ])
    );
    assert!(
        try_import(&flag_file(
            json!({ "if": [{ "sem_ver": [{ "var": "v" }, "=", "2.x"] }, "on", "off"] })
        ))
        .is_err()
    );
}
