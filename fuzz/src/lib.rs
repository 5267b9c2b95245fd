//! What the fuzz targets share: the contexts a fuzzed flag or segment is evaluated for
//! (built from the attributes and values its own conditions name, plus values of every
//! JSON type, so each operator meets strings, numbers, versions, times, lists and nulls),
//! a fixed catalog of flags that uses every operator (for fuzzed contexts), and the
//! evaluation of a snapshot for a set of contexts through both entry points the server
//! uses (one flag by key, every flag at once).

use rollgate_core::model::{Condition, Flag, Segment, builtin_segment};
use rollgate_core::{Context, Snapshot, evaluate, evaluate::evaluate_all};
use serde_json::{Value, json};

/// Most contexts one input is evaluated for (keeps executions fast).
const MAX_CONTEXTS: usize = 48;

/// The built-in segments, as seeded on an empty store.
pub fn builtin_segments() -> Vec<Segment> {
    ["alpha", "beta", "general"]
        .into_iter()
        .filter_map(builtin_segment)
        .collect()
}

/// Values of every JSON type and the edge cases the operators parse: versions, times,
/// numbers at the edges of `i64`/`u64`/`f64`, numeric strings, lists and objects.
fn probes() -> Vec<Value> {
    vec![
        json!(""),
        json!("user-1"),
        json!("1.2.3"),
        json!("v2.0.0-beta.1+build"),
        json!("2026-01-01T00:00:00Z"),
        json!("1e400"),
        json!("-0"),
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1.5),
        json!(f64::MAX),
        json!(true),
        Value::Null,
        json!(["alpha", 7, null, ["nested"]]),
        json!({ "k": 1 }),
    ]
}

/// The conditions of a flag (every rule of every environment).
fn flag_conditions(flag: &Flag) -> impl Iterator<Item = &Condition> {
    flag.environments
        .values()
        .flat_map(|config| config.rules.iter())
        .flat_map(|rule| rule.conditions.iter())
}

/// The conditions of a segment.
fn segment_conditions(segment: &Segment) -> impl Iterator<Item = &Condition> {
    segment.rules.iter().flat_map(|rule| rule.conditions.iter())
}

/// Contexts for evaluating documents with these conditions and targeting keys: empty,
/// a plain key, keys of the wrong type, every probe value in every attribute named, and
/// each condition's own values in its attribute (so `in`, `matches`, `semver_*` … can
/// match).
pub fn contexts(
    conditions: &[&Condition],
    extra_attributes: &[&str],
    keys: &[&str],
) -> Vec<Context> {
    let mut attributes: Vec<&str> = conditions
        .iter()
        .map(|c| c.attribute.as_str())
        .chain(extra_attributes.iter().copied())
        .collect();
    attributes.sort_unstable();
    attributes.dedup();
    attributes.truncate(16);
    let mut contexts = vec![
        Context::new(),
        Context::with_targeting_key("user-1"),
        Context::new().set("targetingKey", 42),
        Context::new().set("targetingKey", Value::Null),
        Context::with_targeting_key("alpha-user").set("ring", "alpha"),
        Context::with_targeting_key("beta-user").set("ring", "beta"),
    ];
    for key in keys.iter().take(4) {
        contexts.push(Context::with_targeting_key(*key));
    }
    for (i, probe) in probes().into_iter().enumerate() {
        let mut context = Context::with_targeting_key(format!("probe-{i}"));
        for attribute in &attributes {
            context.insert(*attribute, probe.clone());
        }
        contexts.push(context);
    }
    for condition in conditions {
        for value in condition.values.iter().take(2) {
            if contexts.len() >= MAX_CONTEXTS {
                return contexts;
            }
            contexts.push(
                Context::with_targeting_key("user-2")
                    .set(condition.attribute.clone(), value.clone()),
            );
        }
    }
    contexts
}

/// Contexts for a fuzzed flag.
pub fn flag_contexts(flag: &Flag) -> Vec<Context> {
    let sticky: Vec<&str> = flag
        .environments
        .values()
        .filter_map(|config| config.stickiness.as_deref())
        .collect();
    contexts(&flag_conditions(flag).collect::<Vec<_>>(), &sticky, &[])
}

/// Contexts for a fuzzed segment.
pub fn segment_contexts(segment: &Segment) -> Vec<Context> {
    let keys: Vec<&str> = segment
        .include
        .iter()
        .chain(&segment.exclude)
        .map(String::as_str)
        .collect();
    contexts(&segment_conditions(segment).collect::<Vec<_>>(), &[], &keys)
}

/// Evaluates every flag of the snapshot for each context, one by one and all at once,
/// and reads what the server reads of each answer.
pub fn exercise(snapshot: &Snapshot, contexts: &[Context]) {
    let keys: Vec<&str> = snapshot.flag_keys().collect();
    for context in contexts {
        for key in &keys {
            let evaluation = evaluate(snapshot, key, context);
            assert_eq!(evaluation.value.is_none(), evaluation.error.is_some());
            if let Some(index) = evaluation.flag_index() {
                assert_eq!(snapshot.flag_key(index), Some(*key));
            }
        }
        assert_eq!(evaluate_all(snapshot, context).count(), keys.len());
        let missing = evaluate(snapshot, "no-such-flag", context);
        assert!(missing.error.is_some());
    }
}

/// A catalog of flags in `production` that uses every operator, segments, a rollout,
/// a custom stickiness attribute, a salt and a shadow serve: the fixture fuzzed
/// contexts are evaluated against.
pub fn fixture_flags() -> Vec<Flag> {
    let operators = [
        ("in", json!(["NL", "BE"])),
        ("not_in", json!(["US"])),
        ("starts_with", json!(["rollgate-"])),
        ("ends_with", json!(["@example.com"])),
        ("contains", json!(["beta"])),
        ("matches", json!(["^v[0-9]+\\.[0-9]+$", "(?i)ADMIN"])),
        ("eq", json!([3, 9007199254740993_u64])),
        ("ne", json!([0])),
        ("lt", json!([10.5])),
        ("lte", json!([-3])),
        ("gt", json!([18446744073709551615_u64])),
        ("gte", json!([1e300])),
        ("semver_eq", json!(["1.2.3"])),
        ("semver_lt", json!(["2.0.0-rc.1"])),
        ("semver_gt", json!(["0.9.0"])),
        ("before", json!(["2026-06-01T00:00:00Z"])),
        ("after", json!(["1970-01-01T00:00:00+01:00"])),
        ("exists", json!([])),
    ];
    let mut flags: Vec<Flag> = operators
        .iter()
        .enumerate()
        .filter_map(|(i, (op, values))| {
            let attribute = ["country", "email", "version", "age", "created", "plan"][i % 6];
            serde_json::from_value(json!({
                "key": format!("op-{op}"),
                "variants": { "on": true, "off": false },
                "environments": { "production": {
                    "enabled": true, "off_variant": "off",
                    "rules": [
                        { "conditions": [ { "attribute": attribute, "op": op, "values": values } ],
                          "serve": { "variant": "on" } },
                        { "conditions": [ { "attribute": "tags", "op": op, "values": values, "negate": true } ],
                          "serve": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } }
                    ],
                    "default": { "variant": "off" } } }
            }))
            .ok()
        })
        .collect();
    let rest = json!([
        { "key": "rings", "variants": { "control": "a", "treatment": "b", "shadowed": "c" },
          "environments": { "production": {
              "enabled": true, "off_variant": "control", "salt": "release-1", "stickiness": "accountId",
              "rules": [
                  { "segment": "alpha", "serve": { "variant": "treatment" } },
                  { "segment": "beta", "serve": { "rollout": [ { "variant": "treatment", "weight": 5000 }, { "variant": "control", "weight": 5000 } ] } },
                  { "segment": "general", "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ],
                    "serve": { "variant": "shadowed", "shadow": true } }
              ],
              "default": { "rollout": [ { "variant": "treatment", "weight": 1 }, { "variant": "control", "weight": 9999 } ] } } } },
        { "key": "disabled", "variants": { "small": 1, "big": 9007199254740993_u64 },
          "environments": { "production": { "enabled": false, "off_variant": "small", "default": { "variant": "big" } } } },
        { "key": "object", "variants": { "plain": { "title": "x" }, "fancy": { "title": "y", "sizes": [1, 2.5] } },
          "environments": { "production": { "enabled": true, "off_variant": "plain", "default": { "variant": "fancy" } } } }
    ]);
    if let Ok(more) = serde_json::from_value::<Vec<Flag>>(rest) {
        flags.extend(more);
    }
    flags
}
