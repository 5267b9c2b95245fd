//! Fixtures shared by the integration tests and the benchmarks: documents written as JSON,
//! the catalog they are validated against, compiled snapshots, and a generator of
//! realistic flags (the mix a product team actually runs).
//!
//! Benchmarks include this file with `#[path]`, so it depends only on what both have.

#![allow(
    dead_code,
    reason = "the fixtures serve every test and bench; each uses a part"
)]
#![allow(clippy::expect_used, reason = "fixtures fail loudly on a bad document")]

use rollgate_core::model::{BUILTIN_SEGMENTS, Flag, Segment, builtin_segment};
use rollgate_core::validate::Catalog;
use rollgate_core::{Context, Snapshot, compile};
use serde_json::{Value, json};

/// The environment every fixture configures.
pub const ENV: &str = "production";

/// A flag from its JSON document; panics on a document the model cannot read.
pub fn flag(document: Value) -> Flag {
    serde_json::from_value(document).expect("fixture flag must parse")
}

/// A segment from its JSON document.
pub fn segment(document: Value) -> Segment {
    serde_json::from_value(document).expect("fixture segment must parse")
}

/// A context from a JSON object.
pub fn context(attributes: Value) -> Context {
    serde_json::from_value(attributes).expect("fixture context must be an object")
}

/// The built-in segments `alpha`, `beta` and `general`, as seeded on an empty store.
pub fn builtin_segments() -> Vec<Segment> {
    BUILTIN_SEGMENTS
        .iter()
        .filter_map(|key| builtin_segment(key))
        .collect()
}

/// The default environments and the built-in segments.
pub fn catalog() -> Catalog {
    Catalog {
        environments: ["development", "production"].map(String::from).into(),
        segments: BUILTIN_SEGMENTS.map(String::from).into(),
    }
}

/// Compiles `flags` for [`ENV`] with `segments`, insisting that nothing is left out.
pub fn compile_with(flags: &[Flag], segments: &[Segment]) -> Snapshot {
    let compiled = compile(ENV, 1, flags, segments);
    assert!(
        compiled.warnings.is_empty(),
        "fixtures must compile: {:?}",
        compiled.warnings
    );
    compiled.snapshot
}

/// Compiles `flags` for [`ENV`] with the built-in segments.
pub fn snapshot(flags: &[Flag]) -> Snapshot {
    compile_with(flags, &builtin_segments())
}

/// A boolean flag in [`ENV`] with the given rules and default serve.
pub fn bool_flag(key: &str, rules: Value, default: Value) -> Flag {
    flag(json!({
        "key": key,
        "variants": { "on": true, "off": false },
        "environments": { ENV: {
            "enabled": true, "off_variant": "off", "rules": rules, "default": default
        } }
    }))
}

/// A rollout serve from `(variant, weight)` arms.
pub fn rollout(arms: &[(&str, u32)]) -> Value {
    let arms: Vec<Value> = arms
        .iter()
        .map(|(variant, weight)| json!({ "variant": variant, "weight": weight }))
        .collect();
    json!({ "rollout": arms })
}

/// A rule document: an optional segment, conditions and a serve.
pub fn rule(segment: Option<&str>, conditions: Vec<Value>, serve: Value) -> Value {
    let mut rule = json!({ "conditions": conditions, "serve": serve });
    if let Some(segment) = segment {
        rule["segment"] = json!(segment);
    }
    rule
}

/// The flag the latency target is stated for: an `alpha` segment rule, then a default
/// 25 % rollout.
pub fn segment_and_rollout_flag(key: &str) -> Flag {
    bool_flag(
        key,
        json!([{ "segment": "alpha", "serve": { "variant": "on" } }]),
        rollout(&[("on", 2500), ("off", 7500)]),
    )
}

/// A flag with five rules of mixed operators; none of them matches [`user_context`],
/// so evaluation walks all five and lands on the default rollout. `team` varies its
/// regular expression.
pub fn five_rule_flag(key: &str, team: usize) -> Flag {
    let pattern = format!("@(corp|team-{team})\\.example$");
    let rules = json!([
        { "conditions": [ { "attribute": "country", "op": "in", "values": ["US", "CA", "MX"] } ],
          "serve": { "variant": "on" } },
        { "conditions": [ { "attribute": "email", "op": "starts_with", "values": ["qa-", "test-"] } ],
          "serve": { "variant": "on" } },
        { "conditions": [ { "attribute": "email", "op": "matches", "values": [pattern] } ],
          "serve": { "variant": "on" } },
        { "conditions": [
            { "attribute": "app_version", "op": "semver_gt", "values": ["3.0.0"] },
            { "attribute": "orders", "op": "gte", "values": [10] } ],
          "serve": { "variant": "on" } },
        { "conditions": [ { "attribute": "created_at", "op": "before", "values": ["2020-01-01T00:00:00Z"] } ],
          "serve": { "variant": "on" } }
    ]);
    bool_flag(key, rules, rollout(&[("on", 5000), ("off", 5000)]))
}

/// A signed-in web user in the Netherlands on the general ring.
pub fn user_context(targeting_key: &str) -> Context {
    context(json!({
        "targetingKey": targeting_key,
        "ring": "general",
        "country": "NL",
        "plan": "pro",
        "email": "jan.devries@example.com",
        "app_version": "2.7.1",
        "orders": 17,
        "created_at": "2024-05-17T08:30:00Z",
        "beta_opt_in": false
    }))
}

/// How many different regular expressions the realistic flags use between them.
pub const REALISTIC_PATTERNS: usize = 50;

/// The `i`-th of a realistic mix of flags: static switches, ring rules with rollouts,
/// country targeting, multivariate experiments, mixed-operator rules, disabled flags.
/// One flag in eight has a regular expression, one of `patterns` different ones.
pub fn realistic_flag(i: usize, patterns: usize) -> Flag {
    let key = format!("flag-{i:05}");
    match i % 8 {
        0 => bool_flag(&key, json!([]), json!({ "variant": "on" })),
        1 => segment_and_rollout_flag(&key),
        2 => five_rule_flag(&key, i / 8 % patterns),
        3 => flag(json!({
            "key": key,
            "variants": { "control": "classic", "compact": "compact", "cards": "cards" },
            "tags": ["experiment", "layout"],
            "environments": { ENV: {
                "enabled": true, "off_variant": "control",
                "rules": [ { "segment": "beta", "serve": { "variant": "cards" } } ],
                "default": rollout(&[("control", 3400), ("compact", 3300), ("cards", 3300)])
            } }
        })),
        4 => bool_flag(
            &key,
            json!([
                { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE", "LU"] },
                                  { "attribute": "plan", "op": "not_in", "values": ["free"] } ],
                  "serve": rollout(&[("on", 1000), ("off", 9000)]) }
            ]),
            json!({ "variant": "off" }),
        ),
        5 => flag(json!({
            "key": key,
            "variants": { "low": 10, "mid": 50, "high": 100 },
            "environments": { ENV: {
                "enabled": false, "off_variant": "low",
                "default": { "variant": "mid" }
            } }
        })),
        6 => bool_flag(
            &key,
            json!([
                { "segment": "alpha", "serve": { "variant": "on" } },
                { "segment": "beta", "serve": { "variant": "on" } },
                { "conditions": [ { "attribute": "email", "op": "ends_with", "values": ["@example.com"] },
                                  { "attribute": "beta_opt_in", "op": "in", "values": [true] } ],
                  "serve": { "variant": "on" } }
            ]),
            rollout(&[("on", 500), ("off", 9500)]),
        ),
        _ => flag(json!({
            "key": key,
            "variants": { "v1": { "limit": 10, "ui": "a" }, "v2": { "limit": 25, "ui": "b" } },
            "environments": { ENV: {
                "enabled": true, "off_variant": "v1", "salt": "pricing-2026",
                "rules": [ { "conditions": [
                    { "attribute": "app_version", "op": "semver_lt", "values": ["2.0.0"] } ],
                    "serve": { "variant": "v1" } } ],
                "default": rollout(&[("v1", 5000), ("v2", 5000)])
            } }
        })),
    }
}

/// `n` realistic flags, `flag-00000` onwards, with [`REALISTIC_PATTERNS`] regular
/// expressions between them.
pub fn realistic_flags(n: usize) -> Vec<Flag> {
    (0..n)
        .map(|i| realistic_flag(i, REALISTIC_PATTERNS))
        .collect()
}
