//! `fractional` as a property: any weights (small, large, some zero, negative), any of
//! the bucketing forms, any flag key — the imported flag serves what the reference flagd
//! evaluator computes from flagd's definition, for any units.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::reference::Flagd;
use super::{context, documents, imported, served, snapshot_of};

/// The bucketing forms flagd files use (and the attribute each hashes).
fn bucketing() -> impl Strategy<Value = (Option<Value>, &'static str)> {
    prop_oneof![
        Just((None, "targetingKey")),
        Just((Some(json!({ "var": "email" })), "email")),
        Just((Some(json!({ "var": "targetingKey" })), "targetingKey")),
        Just((
            Some(json!({ "cat": [{ "var": "$flagd.flagKey" }, { "var": "email" }] })),
            "email"
        )),
        "[a-z0-9-]{0,12}"
            .prop_map(|seed| (Some(json!({ "cat": [seed, { "var": "email" }] })), "email")),
    ]
}

/// Weights: a few arms, small or up to flagd's limit, zero and negative included.
fn weights() -> impl Strategy<Value = Vec<i64>> {
    prop_oneof![
        prop::collection::vec(-2i64..=5, 2..=6),
        prop::collection::vec(0i64..=1_000, 2..=6),
        prop::collection::vec(0i64..=400_000_000, 2..=5),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn imported_splits_serve_what_flagd_computes(
        key in "[a-z][a-z0-9-]{0,20}",
        (expression, unit) in bucketing(),
        weights in weights(),
        units in prop::collection::vec("[A-Za-z0-9@._-]{0,24}", 32),
    ) {
        let variants: serde_json::Map<String, Value> =
            (0..weights.len()).map(|i| (format!("v{i}"), json!(i))).chain([("fallback".to_owned(), json!(-1))]).collect();
        let mut arguments: Vec<Value> = expression.into_iter().collect();
        arguments.extend(weights.iter().enumerate().map(|(i, w)| json!([format!("v{i}"), w])));
        let file = json!({ "flags": { key.clone(): {
            "state": "ENABLED", "variants": variants, "defaultVariant": "fallback",
            "targeting": { "fractional": arguments }
        } } });
        let (flags, segments) = documents(&imported(&file));
        let snapshot = snapshot_of(&flags, &segments);
        let reference = Flagd::new(&file);
        for value in &units {
            let user = context(json!({ "targetingKey": "someone", unit: value }));
            prop_assert_eq!(served(&snapshot, &key, &user), reference.variant(&key, &user), "{}", file);
        }
    }
}
