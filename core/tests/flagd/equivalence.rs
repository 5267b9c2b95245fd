//! Realistic flagd files (files/*.json: rings by e-mail domain, version gates, country
//! lists, fractional splits, shared evaluators) evaluated for thousands of generated
//! contexts, by Rollgate after the import and by the reference flagd evaluator: the
//! same variant every time.
//!
//! Contexts carry the attributes the files test, with the types flagd users send
//! (strings, numbers, numeric strings), sometimes missing, sometimes odd (a version that
//! is not one, an empty string). Left out: what docs/flagd.md lists as differences —
//! partial versions in the context (`"1.2"`), and contexts without the attribute a
//! split buckets by explicitly (see `a_missing_bucketing_attribute_…` below).

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::reference::Flagd;
use super::{context, documents, imported, served, snapshot_of};

const CONTEXTS: usize = 3_000;

pub(super) fn file(name: &str) -> Value {
    let text = match name {
        "rings" => include_str!("files/rings.json"),
        "semver" => include_str!("files/semver.json"),
        "countries" => include_str!("files/countries.json"),
        "fractional" => include_str!("files/fractional.json"),
        _ => include_str!("files/evaluators.json"),
    };
    serde_json::from_str(text).unwrap()
}

/// Sets `name` most of the time.
fn maybe(rng: &mut ChaCha8Rng, attributes: &mut Map<String, Value>, name: &str, value: Value) {
    if rng.random_bool(0.85) {
        attributes.insert(name.to_owned(), value);
    }
}

/// A user as an application would describe one.
pub(super) fn user(rng: &mut ChaCha8Rng) -> Map<String, Value> {
    let mut attributes = Map::new();
    let id: u32 = rng.random();
    maybe(
        rng,
        &mut attributes,
        "targetingKey",
        json!(format!("user-{id}")),
    );
    let local = *["ann", "bob", "admin", "admin-ops", "vip", "ceo", "zoë", ""]
        .choose(rng)
        .unwrap();
    let domain = *[
        "company.com",
        "partner.org",
        "example.com",
        "gmail.com",
        "company.com.evil",
    ]
    .choose(rng)
    .unwrap();
    let email = if rng.random_bool(0.1) {
        format!("{local}@{domain}")
    } else {
        format!("{local}{}@{domain}", rng.random_range(0..50))
    };
    maybe(rng, &mut attributes, "email", json!(email));
    let country = *["NL", "BE", "DE", "FR", "US", "CA", "GB", "JP", "", "nl"]
        .choose(rng)
        .unwrap();
    maybe(rng, &mut attributes, "country", json!(country));
    let (major, minor, patch) = (
        rng.random_range(0..5),
        rng.random_range(0..4),
        rng.random_range(0..3),
    );
    let version = match rng.random_range(0..6) {
        0 => json!(format!("v{major}.{minor}.{patch}")),
        1 => json!(format!("{major}.{minor}.0-beta.{patch}")),
        2 => json!(*["not-a-version", "3.x", "", "2.0.0.0"].choose(rng).unwrap()),
        _ => json!(format!("{major}.{minor}.{patch}")),
    };
    maybe(rng, &mut attributes, "appVersion", version);
    let age = match rng.random_range(0..4) {
        0 => json!(rng.random_range(0..100).to_string()),
        1 => json!(rng.random_range(0.0..100.0)),
        2 => json!(*[18, 21, 30, 65].choose(rng).unwrap()),
        _ => json!(rng.random_range(0..100)),
    };
    maybe(rng, &mut attributes, "age", age);
    let plan = [
        json!("42"),
        json!(42),
        json!(42.0),
        json!("pro"),
        json!("042"),
    ]
    .choose(rng)
    .unwrap()
    .clone();
    maybe(rng, &mut attributes, "plan", plan);
    let tier = *["premium", "basic"].choose(rng).unwrap();
    maybe(rng, &mut attributes, "tier", json!(tier));
    attributes
}

/// Evaluates every flag of `name` for `CONTEXTS` users with both evaluators.
fn agree(name: &str, seed: u64) {
    let file = file(name);
    let (flags, segments) = documents(&imported(&file));
    let snapshot = snapshot_of(&flags, &segments);
    let reference = Flagd::new(&file);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..CONTEXTS {
        let user = user(&mut rng);
        for key in reference.keys() {
            // Splits by `email` without one: the documented difference (test below).
            if ["by-email", "keyed-by-email"].contains(&key.as_str()) && !user.contains_key("email")
            {
                continue;
            }
            let expected = reference.variant(&key, &user);
            let got = served(&snapshot, &key, &user);
            assert_eq!(
                got,
                expected,
                "{name}: flag {key}, context {}",
                Value::Object(user.clone())
            );
            seen.insert((key, got));
        }
    }
    // Every variant reachable in the file was reached: the contexts exercise the rules.
    let reachable: usize = flags.iter().map(|f| f.variants.len()).sum();
    assert!(
        seen.len() * 10 >= reachable * 7,
        "{name}: only {seen:?} of {reachable} variants served"
    );
}

#[test]
fn rings_by_email_domain() {
    agree("rings", 1);
}

#[test]
fn version_gates() {
    agree("semver", 2);
}

#[test]
fn country_lists_and_numbers() {
    agree("countries", 3);
}

#[test]
fn fractional_splits() {
    agree("fractional", 4);
}

#[test]
fn shared_evaluators() {
    agree("evaluators", 5);
}

#[test]
fn a_missing_bucketing_attribute_serves_the_default_variant() {
    // flagd then hashes something else: flagKey ++ targetingKey for a bare `var` (its Go
    // evaluator), the text before the `var` for a `cat`. Rollgate cannot bucket one flag
    // two ways, and serves defaultVariant, as flagd does without a targeting key
    // (docs/flagd.md, "Differences").
    let file = file("fractional");
    let (flags, segments) = documents(&imported(&file));
    let snapshot = snapshot_of(&flags, &segments);
    let without_email = context(json!({ "targetingKey": "user-1" }));
    assert_eq!(
        served(&snapshot, "by-email", &without_email),
        Ok("red".to_owned())
    );
    let reference = Flagd::new(&file);
    assert!(reference.variant("by-email", &without_email).is_ok());
    let anonymous = context(json!({ "email": "a@b.c" }));
    assert_eq!(
        served(&snapshot, "three-way", &context(json!({}))),
        Ok("a".to_owned())
    );
    assert_eq!(
        reference.variant("three-way", &context(json!({}))),
        Ok("a".to_owned())
    );
    assert!(served(&snapshot, "by-email", &anonymous).is_ok());
}
