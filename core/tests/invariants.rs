//! The invariants of docs/product.md §3, proved as properties over compiled flags: stickiness,
//! the monotone ramp, ring monotonicity and uniformity — plus the normative hashing
//! definition itself, checked against the `murmur3` crate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

mod common;

use std::io::Cursor;
use std::sync::LazyLock;

use common::{ENV, bool_flag, context, flag, rollout, snapshot};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rollgate_core::bucket::{BUCKETS, SaltedHasher, bucket};
use rollgate_core::evaluate::evaluate_index;
use rollgate_core::model::Flag;
use rollgate_core::{Context, Reason, Snapshot, evaluate};
use serde_json::{Value, json};

/// MurmurHash3_x86_32 of `salt ++ unit` by the `murmur3` crate, seed 0.
fn reference_hash(salt: &str, unit: &str) -> u32 {
    let input = format!("{salt}{unit}");
    murmur3::murmur3_32(&mut Cursor::new(input.as_bytes()), 0).unwrap()
}

/// The variant docs/product.md §3 says a unit gets, computed from the definition alone.
fn normative_variant(salt: &str, unit: &str, arms: &[(String, u32)]) -> String {
    let bucket = (u64::from(reference_hash(salt, unit)) * 10_000) >> 32;
    let mut end = 0u64;
    for (variant, weight) in arms {
        end += u64::from(*weight);
        if bucket < end {
            return variant.clone();
        }
    }
    unreachable!("weights sum to 10 000")
}

/// A flag whose only serve is a rollout over `arms`, salted with `salt`.
fn rollout_flag(salt: &str, arms: &[(String, u32)]) -> Flag {
    let variants: serde_json::Map<String, Value> = arms
        .iter()
        .map(|(name, _)| (name.clone(), Value::String(name.clone())))
        .collect();
    let arms: Vec<(&str, u32)> = arms.iter().map(|(v, w)| (v.as_str(), *w)).collect();
    flag(json!({
        "key": "experiment",
        "variants": variants,
        "environments": { ENV: {
            "enabled": true, "off_variant": arms[0].0, "salt": salt,
            "default": rollout(&arms)
        } }
    }))
}

fn variant_of(snapshot: &Snapshot, flag: &str, unit: &str) -> String {
    let evaluation = evaluate(snapshot, flag, &Context::with_targeting_key(unit));
    assert_eq!(evaluation.reason, Reason::Split, "{evaluation:?}");
    evaluation.variant.unwrap().to_owned()
}

/// Weights in basis points that sum to 10 000, over 1 to 6 arms named `v0`, `v1`, …
/// (zero weights included: an arm may be empty).
fn weights() -> impl Strategy<Value = Vec<(String, u32)>> {
    prop::collection::vec(0u32..=10_000, 0..6).prop_map(|mut cuts| {
        cuts.sort_unstable();
        let mut previous = 0;
        let mut arms = Vec::with_capacity(cuts.len() + 1);
        for (i, cut) in cuts.into_iter().chain([10_000]).enumerate() {
            arms.push((format!("v{i}"), cut - previous));
            previous = cut;
        }
        arms
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// `SaltedHasher` absorbs the salt ahead of time; the result must still be the hash
    /// of the plain concatenation, for any Unicode salt and unit.
    #[test]
    fn salted_hasher_equals_murmur3_of_the_concatenation(salt in ".{0,40}", unit in ".{0,40}") {
        prop_assert_eq!(SaltedHasher::new(&salt).hash(unit.as_bytes()), reference_hash(&salt, &unit));
    }

    #[test]
    fn bucket_is_always_below_ten_thousand(salt in any::<String>(), unit in any::<String>()) {
        prop_assert!(u32::from(bucket(&salt, &unit)) < BUCKETS);
    }

    /// Stickiness: evaluating twice, or in two snapshots compiled independently from the
    /// same documents, gives the same variant — the one the normative definition names.
    #[test]
    fn the_same_unit_salt_and_weights_always_get_the_same_variant(
        salt in "[a-z0-9._-]{1,24}|.{1,12}",
        units in prop::collection::vec(".{0,24}", 1..16),
        arms in weights(),
    ) {
        let flag = rollout_flag(&salt, &arms);
        let first = snapshot(std::slice::from_ref(&flag));
        // The second snapshot starts from the document as it travels on the wire.
        let copy: Flag = serde_json::from_str(&serde_json::to_string(&flag).unwrap()).unwrap();
        let second = snapshot(&[copy]);
        for unit in &units {
            let expected = normative_variant(&salt, unit, &arms);
            prop_assert_eq!(&variant_of(&first, "experiment", unit), &expected);
            prop_assert_eq!(&variant_of(&first, "experiment", unit), &expected);
            prop_assert_eq!(&variant_of(&second, "experiment", unit), &expected);
        }
    }

    /// Monotone ramp: raising the first arm from p to q takes the difference from the
    /// following arms in order. Nobody leaves the first arm, and whoever changes variant
    /// moves into it.
    #[test]
    fn raising_the_first_weight_only_moves_users_into_it(
        arms in weights().prop_filter("the first arm can grow", |arms| arms.len() > 1 && arms[0].1 < 10_000),
        raise in 1u32..=10_000,
        units in prop::collection::vec("[a-zA-Z0-9@.-]{1,24}", 64),
    ) {
        let raise = raise.min(10_000 - arms[0].1);
        let mut raised = arms.clone();
        raised[0].1 += raise;
        let mut left = raise;
        for arm in raised.iter_mut().skip(1) {
            let take = left.min(arm.1);
            arm.1 -= take;
            left -= take;
        }
        let before = snapshot(&[rollout_flag("ramp", &arms)]);
        let after = snapshot(&[rollout_flag("ramp", &raised)]);
        for unit in &units {
            let (was, is) = (variant_of(&before, "experiment", unit), variant_of(&after, "experiment", unit));
            if was == "v0" {
                prop_assert_eq!(&is, "v0", "{} left the first arm", unit);
            }
            if was != is {
                prop_assert_eq!(&is, "v0", "{} moved from {} to another arm", unit, was);
            }
        }
    }
}

/// The stages of a release as successive configurations of one flag, with one salt:
/// alpha, then beta, then the general audience at 1 %, 10 %, 50 % and 100 %.
static RELEASE_STAGES: LazyLock<Vec<Snapshot>> = LazyLock::new(|| {
    let alpha = json!({ "segment": "alpha", "serve": { "variant": "on" } });
    let beta = json!({ "segment": "beta", "serve": { "variant": "on" } });
    let staged = |rules: Value, default: Value| {
        let mut flag = bool_flag("new-checkout", rules, default);
        if let Some(config) = flag.environments.get_mut(ENV) {
            config.salt = Some("release-checkout-v2".to_owned());
        }
        snapshot(&[flag])
    };
    let mut stages = vec![
        staged(json!([alpha]), json!({ "variant": "off" })),
        staged(json!([alpha, beta]), json!({ "variant": "off" })),
    ];
    for percent in [1, 10, 50, 100] {
        stages.push(staged(
            json!([alpha, beta]),
            rollout(&[("on", percent * 100), ("off", 10_000 - percent * 100)]),
        ));
    }
    stages
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Ring monotonicity: a user exposed at one stage is exposed at every later stage.
    #[test]
    fn a_user_exposed_at_one_stage_stays_exposed_at_every_later_stage(
        targeting_key in ".{1,32}",
        ring in prop::option::of(prop_oneof![Just("alpha"), Just("beta"), Just("none")]),
    ) {
        let mut attributes = json!({ "targetingKey": targeting_key });
        if let Some(ring) = ring {
            attributes["ring"] = json!(ring);
        }
        let user = context(attributes);
        let exposed: Vec<bool> = RELEASE_STAGES
            .iter()
            .map(|stage| evaluate(stage, "new-checkout", &user).variant == Some("on"))
            .collect();
        if let Some(first) = exposed.iter().position(|&on| on) {
            prop_assert!(exposed[first..].iter().all(|&on| on), "{:?}", exposed);
        }
        prop_assert_eq!(exposed[0], ring == Some("alpha"));
        prop_assert_eq!(exposed[1], matches!(ring, Some("alpha" | "beta")));
        prop_assert!(exposed[5], "everyone is exposed at 100 %");
    }
}

/// Uniformity: over 100 000 random units every variant's share is within ±0.5
/// percentage points of its weight. The units come from a seeded generator, so the
/// test is deterministic and cannot flake.
#[test]
fn every_variant_gets_its_share_within_half_a_percentage_point() {
    let splits: [&[u32]; 5] = [
        &[5000, 5000],
        &[2500, 7500],
        &[100, 900, 9000],
        &[3334, 3333, 3333],
        &[1000, 2000, 3000, 4000],
    ];
    let flags: Vec<Flag> = splits
        .iter()
        .enumerate()
        .map(|(i, weights)| {
            let arms: Vec<(String, u32)> = weights
                .iter()
                .enumerate()
                .map(|(v, w)| (format!("v{v}"), *w))
                .collect();
            let mut flag = rollout_flag(&format!("uniformity-{i}"), &arms);
            flag.key = format!("split-{i}");
            flag
        })
        .collect();
    let snapshot = snapshot(&flags);
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_2026);
    let mut counts: Vec<Vec<u32>> = splits.iter().map(|w| vec![0; w.len()]).collect();
    let indexes: Vec<usize> = flags
        .iter()
        .map(|flag| snapshot.flag_index(&flag.key).unwrap())
        .collect();
    const UNITS: u32 = 100_000;
    for _ in 0..UNITS {
        let unit = format!("{:032x}", rng.random::<u128>());
        let user = Context::with_targeting_key(unit);
        for (&index, count) in indexes.iter().zip(&mut counts) {
            let evaluation = evaluate_index(&snapshot, index, &user);
            count[evaluation.variant_index().unwrap()] += 1;
        }
    }
    for (weights, count) in splits.iter().zip(&counts) {
        for (weight, n) in weights.iter().zip(count) {
            let share = f64::from(*n) * 100.0 / f64::from(UNITS);
            let expected = f64::from(*weight) / 100.0;
            assert!(
                (share - expected).abs() <= 0.5,
                "weights {weights:?}: a variant got {share:.3} % instead of {expected} % ({count:?})"
            );
        }
    }
}
