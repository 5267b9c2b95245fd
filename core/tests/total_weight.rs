//! Rollouts over a total weight of their own, and unsalted bucketing: the two forms
//! flagd's `fractional` needs so that imported flags keep their cohorts. Both are
//! checked against the definition alone — `(MurmurHash3(input) × total) >> 32` over
//! cumulative weights, with the `murmur3` crate as the hash — and the default form is
//! shown to be the special case `total_weight = 10 000`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

mod common;

use std::io::Cursor;

use common::{ENV, context, flag, snapshot};
use proptest::prelude::*;
use rollgate_core::model::Flag;
use rollgate_core::{Reason, Snapshot, evaluate};
use serde_json::{Value, json};

fn murmur3(input: &str) -> u32 {
    murmur3::murmur3_32(&mut Cursor::new(input.as_bytes()), 0).unwrap()
}

/// The arm whose cumulative range holds `(hash(input) × total) >> 32`.
fn expected(input: &str, arms: &[u32]) -> String {
    let total: u64 = arms.iter().map(|w| u64::from(*w)).sum();
    let bucket = (u64::from(murmur3(input)) * total) >> 32;
    let mut end = 0;
    for (i, weight) in arms.iter().enumerate() {
        end += u64::from(*weight);
        if bucket < end {
            return format!("v{i}");
        }
    }
    unreachable!("the bucket is below the total")
}

/// A flag whose default serve splits over `arms` (weights summing to `total`).
fn split_flag(arms: &[u32], total: Option<u32>, salt: Option<&str>, unsalted: bool) -> Flag {
    let variants: serde_json::Map<String, Value> = (0..arms.len())
        .map(|i| (format!("v{i}"), json!(i)))
        .collect();
    let rollout: Vec<Value> = arms
        .iter()
        .enumerate()
        .map(|(i, w)| json!({ "variant": format!("v{i}"), "weight": w }))
        .collect();
    let mut config = json!({
        "enabled": true, "off_variant": "v0", "stickiness": "email",
        "default": { "rollout": rollout }
    });
    if let Some(total) = total {
        config["default"]["total_weight"] = json!(total);
    }
    if let Some(salt) = salt {
        config["salt"] = json!(salt);
    }
    if unsalted {
        config["unsalted"] = json!(true);
    }
    flag(json!({ "key": "split", "variants": variants, "environments": { ENV: config } }))
}

fn served(snapshot: &Snapshot, email: &str) -> String {
    let user = context(json!({ "targetingKey": "t", "email": email }));
    let evaluation = evaluate(snapshot, "split", &user);
    assert_eq!(evaluation.reason, Reason::Split, "{evaluation:?}");
    evaluation.variant.unwrap().to_owned()
}

fn compiled(flag: Flag) -> Snapshot {
    snapshot(&[flag])
}

/// Weights of 2 to 6 arms, each up to `max`, at least one of them positive.
fn arms(max: u32) -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(0..=max, 2..=6)
        .prop_filter("some weight", |arms| arms.iter().any(|w| *w > 0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_rollout_maps_the_hash_onto_its_total_weight(
        weights in prop_oneof![arms(5), arms(1_000), arms(300_000_000)],
        salt in prop::option::of("[a-z-]{1,12}"),
        unsalted in any::<bool>(),
        emails in prop::collection::vec("[a-z0-9.]{0,12}@[a-z]{1,8}\\.com", 1..24),
    ) {
        let unsalted = unsalted && salt.is_none();
        let total: u32 = weights.iter().sum();
        let flag = compiled(split_flag(&weights, Some(total), salt.as_deref(), unsalted));
        let prefix = match (&salt, unsalted) {
            (Some(salt), _) => salt.clone(),
            (None, true) => String::new(),
            (None, false) => "split".to_owned(),
        };
        for email in &emails {
            prop_assert_eq!(served(&flag, email), expected(&format!("{prefix}{email}"), &weights));
        }
    }

    #[test]
    fn a_total_weight_of_ten_thousand_is_the_default(
        cut in 0u32..=10_000,
        emails in prop::collection::vec(".{0,16}", 1..24),
    ) {
        let weights = [cut, 10_000 - cut];
        let default = compiled(split_flag(&weights, None, None, false));
        let explicit = compiled(split_flag(&weights, Some(10_000), None, false));
        for email in &emails {
            let variant = served(&default, email);
            prop_assert_eq!(&served(&explicit, email), &variant);
            prop_assert_eq!(&variant, &expected(&format!("split{email}"), &weights));
        }
    }
}

#[test]
fn thirds_are_exact_where_basis_points_are_not() {
    // 1:1:1 over a total of 3 against 3333/3333/3334 basis points: hashes between the
    // two forms' boundaries land in different arms. Among 100 000 units some must (about
    // 7 are expected), and every unit gets what the definition says.
    let thirds = compiled(split_flag(&[1, 1, 1], Some(3), None, true));
    let points = compiled(split_flag(&[3333, 3333, 3334], None, None, true));
    let mut differ = 0;
    for i in 0..100_000 {
        let email = format!("user-{i}@example.com");
        let exact = served(&thirds, &email);
        assert_eq!(exact, expected(&email, &[1, 1, 1]), "{email}");
        if exact != served(&points, &email) {
            differ += 1;
        }
    }
    assert!(differ > 0, "some unit must fall between 1/3 and 3333/10000");
}
