//! flagd's published fractional vectors (data/testbed-fractional.json, origin noted
//! there): the imported flags serve what flagd serves, bit for bit — and so does the
//! reference evaluator the other tests lean on.

use std::io::Cursor;

use rollgate_core::bucket::murmur3_x86_32;
use rollgate_core::evaluate;
use serde_json::{Value, json};

use super::reference::Flagd;
use super::{context, documents, imported, snapshot_of};

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/testbed-fractional.json")).unwrap()
}

#[test]
fn the_hash_edge_keys_hash_as_published() {
    let vectors = vectors();
    for case in vectors["hashes"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let hash = case["hash"].as_u64().unwrap();
        assert_eq!(
            u64::from(murmur3_x86_32(input.as_bytes(), 0)),
            hash,
            "{input}"
        );
        let crate_hash = murmur3::murmur3_32(&mut Cursor::new(input.as_bytes()), 0).unwrap();
        assert_eq!(u64::from(crate_hash), hash, "{input}");
    }
}

#[test]
fn imported_flags_serve_the_published_variants() {
    let vectors = vectors();
    let file = json!({ "flags": vectors["flags"] });
    let (flags, segments) = documents(&imported(&file));
    let snapshot = snapshot_of(&flags, &segments);
    let reference = Flagd::new(&file);
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 22);
    for case in cases {
        let key = case["flag"].as_str().unwrap();
        let attributes = context(case["context"].clone());
        let user = rollgate_core::Context::from(attributes.clone());
        let evaluation = evaluate(&snapshot, key, &user);
        assert_eq!(
            evaluation.value,
            Some(&case["value"]),
            "{key} {attributes:?}: {evaluation:?}"
        );
        let variant = reference.variant(key, &attributes).unwrap();
        let flag = flags.iter().find(|f| f.key == key).unwrap();
        assert_eq!(
            flag.variants[&variant], case["value"],
            "reference, {key} {attributes:?}"
        );
    }
}

#[test]
fn the_hash_edges_sit_on_both_sides_of_the_half() {
    // 2^31 - 1 is the last hash of the lower half of a 50/50 split, 2^31 the first of the
    // upper: (h × 100) >> 32 is 49 and 50. Rollgate's basis points agree: 4999 and 5000.
    let vectors = vectors();
    let file = json!({ "flags": { "fractional-hash-edge-flag": vectors["flags"]["fractional-hash-edge-flag"] } });
    let imported = imported(&file);
    let config = &imported.flags[0].document.environments[super::ENV];
    let rollout = config.default.rollout.as_ref().unwrap();
    assert_eq!(
        rollout.iter().map(|arm| arm.weight).collect::<Vec<_>>(),
        [5000, 5000],
        "50/50 is exact in basis points"
    );
    assert!(
        config.unsalted,
        "{{\"var\": \"targetingKey\"}} hashes the key alone"
    );
    assert_eq!(rollgate_core::bucket::project(2_147_483_647), 4999);
    assert_eq!(rollgate_core::bucket::project(2_147_483_648), 5000);
}
