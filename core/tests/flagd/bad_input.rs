//! Bad flagd files: each problem named with its flag and path, every problem of a file
//! at once, nothing imported, and no input — however broken — makes the import panic.

use proptest::prelude::*;
use rollgate_core::flagd::{ImportOptions, MAX_FILE_BYTES, import};
use serde_json::{Value, json};

use super::{ENV, empty_catalog, try_import};

fn problems_of(text: &str) -> Vec<String> {
    match import(
        text.as_bytes(),
        ENV,
        &empty_catalog(),
        ImportOptions::default(),
    ) {
        Ok(imported) => panic!("{text} must be refused, imported {imported:?}"),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn with_targeting(targeting: Value) -> String {
    json!({ "flags": { "f": {
        "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
        "targeting": targeting
    } }, "$evaluators": {
        "loop-a": { "$ref": "loop-b" }, "loop-b": { "!": { "$ref": "loop-a" } },
        "ok": { "==": [{ "var": "x" }, 1] }
    } })
    .to_string()
}

#[test]
fn each_bad_construct_is_named_by_its_path() {
    #[rustfmt::skip]
    let cases: Vec<(String, &str)> = vec![
        ("{\"flags\": {".to_owned(), "malformed JSON: EOF while parsing"),
        ("{\"flags\": {\"a\": 1, \"a\": 2}}".to_owned(), "malformed JSON: duplicate key \"a\""),
        ("\"flags\"".to_owned(), "a flagd file is a JSON object with `flags`, got a string"),
        ("{\"flags\": {\"f\": []}}".to_owned(), "flag \"f\": flags.f: a flag definition is an object, got a list"),
        (json!({"flags": {"f": {"state": true, "variants": {"on": 1}, "defaultVariant": "on"}}}).to_string(), "flags.f.state: must be \"ENABLED\" or \"DISABLED\", got true"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": [], "defaultVariant": "on"}}}).to_string(), "flags.f.variants: must be an object of variant name → value, got a list"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": {}, "defaultVariant": "on"}}}).to_string(), "flags.f.variants: a flag needs at least one variant"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": {"on": 1}, "defaultVariant": "off"}}}).to_string(), "flags.f.defaultVariant: \"off\" is not among the flag's variants [\"on\"]"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": {"on": 1}}}}).to_string(), "flags.f.defaultVariant: missing"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": {"on": 1, "off": "x"}, "defaultVariant": "on"}}}).to_string(), "flags.f.variants: all variants of a flag share one type"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": {"o n": 1}, "defaultVariant": "o n"}}}).to_string(), "flags.f.variants.o n: the variant name contains ' '"),
        (json!({"flags": {"my flag": {"state": "ENABLED", "variants": {"on": 1}, "defaultVariant": "on"}}}).to_string(), "flags.my flag: the flag key contains ' '"),
        (json!({"flags": {"f": {"state": "ENABLED", "variants": {"on": 1}, "defaultVariant": "on", "targeting": "on"}}}).to_string(), "flags.f.targeting: must be a JsonLogic object, got a string"),
        (with_targeting(json!({"if": [{"regex_match": [{"var": "x"}, "a"]}, "on", "off"]})), "flags.f.targeting.if[0].regex_match: unknown operator `regex_match`"),
        (with_targeting(json!({"if": [{"<": [{"var": "name"}, "m"]}, "on", "off"]})), "flags.f.targeting.if[0].<: operator `<` on strings is not supported"),
        (with_targeting(json!({"if": [{"$ref": "loop-a"}, "on", "off"]})), "$evaluators.loop-b.!.$ref: cyclic `$ref`: loop-a → loop-b → loop-a"),
        (with_targeting(json!({"if": [{"$ref": "missing"}, "on", "off"]})), "flags.f.targeting.if[0].$ref: unknown evaluator \"missing\""),
        (with_targeting(json!({"if": [{"$ref": 7}, "on", "off"]})), "flags.f.targeting.if[0].$ref: `$ref` names an evaluator, got a number"),
        (with_targeting(json!({"if": [{"==": [{"var": "x"}, 1], "!": true}, "on", "off"]})), "flags.f.targeting.if[0]: an operation has exactly one operator"),
        (with_targeting(json!({"if": [{"var": "beta"}, "on", "off"]})), "flags.f.targeting.if[0].var: a context attribute on its own"),
        (with_targeting(json!({"if": [{">": [{"var": "$flagd.timestamp"}, 1700000000]}, "on", "off"]})), "flags.f.targeting.if[0].>[0].var: `$flagd.timestamp` is not supported"),
        (with_targeting(json!({"if": [{"==": [{"var": ["x", "dflt"]}, 1]}, "on", "off"]})), "flags.f.targeting.if[0].==[0].var: `var` with a default value"),
        (with_targeting(json!({"if": [{"==": [{"var": "a"}, {"var": "b"}]}, "on", "off"]})), "flags.f.targeting.if[0].==: comparing two context attributes"),
        (with_targeting(json!({"if": [{"in": [{"var": "a"}, "abc"]}, "on", "off"]})), "whether the attribute is part of a fixed string"),
        (with_targeting(json!({"if": [{"sem_ver": [{"var": "v"}, "===", "1.0.0"]}, "on", "off"]})), "flags.f.targeting.if[0].sem_ver[1]: unknown `sem_ver` operator \"===\""),
        (with_targeting(json!({"if": [{"sem_ver": [{"var": "v"}, "="]}, "on", "off"]})), "`sem_ver` takes a version, an operator and a version, got 2 arguments"),
        (with_targeting(json!({"if": [{"fractional": [["on", 50], ["off", 50]]}, "on", "off"]})), "flags.f.targeting.if[0].fractional: `fractional` as a condition"),
        (with_targeting(json!({"fractional": [["on", 50.5], ["off", 50]]})), "flags.f.targeting.fractional[0][1]: weights are whole numbers, got 50.5"),
        (with_targeting(json!({"fractional": [["on", {"if": [true, 1, 0]}], ["off", 1]]})), "computed weights are not supported"),
        (with_targeting(json!({"fractional": [[{"var": "color"}, 1], ["off", 1]]})), "computed variants are not supported"),
        (with_targeting(json!({"fractional": [["on", 1], ["off", 1], ["on", 1]]})), "variant \"on\" has two separate ranges"),
        (with_targeting(json!({"fractional": [["on", 2147483647], ["off", 1]]})), "the weights sum to 2147483648"),
        (with_targeting(json!({"fractional": [{"cat": [{"var": "email"}, "-suffix"]}, ["on", 1], ["off", 1]]})), "text after the `var` cannot be expressed"),
        (with_targeting(json!({"if": [{"==": [{"var": "x"}, 1]}, {"fractional": [["on", 1], ["off", 1]]}, {"fractional": [{"var": "email"}, ["on", 1], ["off", 1]]}]})), "buckets differently from the `fractional` at flags.f.targeting.if[1]"),
        (with_targeting(json!({"if": [true, "maybe"]})), "flags.f.targeting.if[1]: \"maybe\" is not among the flag's variants"),
        (with_targeting(json!({"var": "variant"})), "flags.f.targeting.var: a variant named by a context attribute is not supported"),
        (with_targeting(json!({"fractionalEvaluation": ["email", ["on", 50], ["off", 50]]})), "the legacy `fractionalEvaluation`"),
        (with_targeting(json!({"if": [{"==": [{"var": "user.name"}, "x"]}, "on", "off"]})), "nested attribute \"user.name\" is not supported"),
    ];
    for (text, expected) in cases {
        let problems = problems_of(&text);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{text}\nexpected a problem containing {expected:?}, got {problems:#?}"
        );
    }
}

#[test]
fn every_problem_of_every_flag_is_reported_and_nothing_imported() {
    let text = json!({ "flags": {
        "good": { "state": "ENABLED", "variants": { "on": true }, "defaultVariant": "on" },
        "bad-one": { "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
                     "targeting": { "if": [{ "matches": [{ "var": "a" }, "x"] }, "on", { "<": [{ "var": "b" }, "z"] }, "on", "off"] } },
        "bad-two": { "state": "OFF", "variants": { "on": true }, "defaultVariant": "on" }
    } })
    .to_string();
    let problems = import(
        text.as_bytes(),
        ENV,
        &empty_catalog(),
        ImportOptions::default(),
    )
    .unwrap_err();
    let listed: Vec<(Option<&str>, &str)> = problems
        .iter()
        .map(|p| (p.flag.as_deref(), p.field.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (Some("bad-one"), "flags.bad-one.targeting.if[0].matches"),
            (Some("bad-one"), "flags.bad-one.targeting.if[2].<"),
            (Some("bad-two"), "flags.bad-two.state"),
        ]
    );
}

#[test]
fn oversize_files_and_deep_nesting_are_refused_without_a_crash() {
    let huge = format!(
        "{{\"flags\": {{}}, \"metadata\": \"{}\"}}",
        "x".repeat(MAX_FILE_BYTES)
    );
    assert!(problems_of(&huge)[0].contains("at most 8388608 are read"));
    // 100 levels of `!`: within the parser's limit, beyond the translation's.
    let mut deep = json!({ "==": [{ "var": "x" }, 1] });
    for _ in 0..100 {
        deep = json!({ "!": deep });
    }
    let problems = problems_of(&with_targeting(json!({ "if": [deep, "on", "off"] })));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("nested more than 64 levels deep")),
        "{problems:?}"
    );
    let deeper = format!("{{\"flags\": {}{}}}", "[".repeat(5_000), "]".repeat(5_000));
    assert!(problems_of(&deeper)[0].contains("recursion limit exceeded"));
    // Evaluators that each use the one before twice: 2^40 operations once resolved.
    let mut evaluators = serde_json::Map::new();
    evaluators.insert("e0".to_owned(), json!({ "==": [{ "var": "x" }, 1] }));
    for i in 1..=40 {
        let previous = format!("e{}", i - 1);
        evaluators.insert(
            format!("e{i}"),
            json!({ "and": [{ "$ref": previous }, { "$ref": previous }] }),
        );
    }
    let file = json!({ "flags": { "f": {
        "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
        "targeting": { "if": [{ "$ref": "e40" }, "on", "off"] }
    } }, "$evaluators": evaluators });
    let problems = problems_of(&file.to_string());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("more than 1000000 operations")),
        "{problems:?}"
    );
    // A condition whose normal form would have 2^12 ANDs.
    let blowup: Vec<Value> = (0..12)
        .map(|i| json!({ "or": [{ "==": [{ "var": "a" }, i] }, { "==": [{ "var": "b" }, i] }] }))
        .collect();
    let problems = problems_of(&with_targeting(
        json!({ "if": [{ "and": blowup }, "on", "off"] }),
    ));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("expand into more than 500 rules")),
        "{problems:?}"
    );
}

/// A flagd-shaped JSON value built from the file's own vocabulary, nested a few levels.
fn flagd_like() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(vec![
            "on",
            "off",
            "ENABLED",
            "DISABLED",
            "email",
            "targetingKey",
            "$flagd.flagKey",
            "1.2.3",
            "v2",
            "^",
            "~",
            ">=",
            "@x.com",
            "",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            (
                prop::sample::select(vec![
                    "if",
                    "==",
                    "!=",
                    "===",
                    "in",
                    "and",
                    "or",
                    "!",
                    "!!",
                    "<",
                    "<=",
                    "var",
                    "$ref",
                    "fractional",
                    "sem_ver",
                    "starts_with",
                    "ends_with",
                    "cat",
                    "flags",
                    "state",
                    "variants",
                    "defaultVariant",
                    "targeting",
                    "$evaluators",
                    "shared",
                    "on",
                ]),
                inner,
            )
                .prop_map(|(key, value)| json!({ key: value })),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = import(&bytes, ENV, &empty_catalog(), ImportOptions::default());
    }

    #[test]
    fn flagd_shaped_files_import_or_say_why(targeting in flagd_like(), shared in flagd_like()) {
        let file = json!({ "flags": { "f": {
            "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
            "targeting": targeting
        } }, "$evaluators": { "shared": shared, "on": shared } });
        match try_import(&file) {
            Ok(imported) => prop_assert_eq!(imported.flags.len(), 1),
            Err(problems) => prop_assert!(!problems.is_empty() && problems.iter().all(|p| !p.message.is_empty())),
        }
    }
}
