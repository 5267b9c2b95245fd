//! One local evaluation through the SDK's public getter — snapshot load, evaluation and
//! exposure count included — for a flag with a segment rule and a 25 % rollout, over
//! varied contexts. Target (loadtests/README.md, Targets): ≤ 100 ns.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use rollgate_sdk::{Client, Context};
use serde_json::json;

use std::hint::black_box;

fn ruleset() -> serde_json::Value {
    json!({
        "environment": "production", "revision": 1,
        "flags": [ {
            "key": "new-checkout", "variants": { "on": true, "off": false },
            "environments": { "production": {
                "enabled": true, "off_variant": "off",
                "rules": [ { "segment": "beta", "serve": { "variant": "on" } } ],
                "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] }
            } }
        } ],
        "segments": [ { "key": "beta", "include": ["user-7"],
                        "rules": [ { "conditions": [ { "attribute": "ring", "op": "in", "values": ["beta"] } ] } ] } ]
    })
}

fn evaluation(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("ruleset.json");
    std::fs::write(&path, ruleset().to_string()).unwrap_or_else(|e| panic!("write: {e}"));
    let client = runtime
        .block_on(
            Client::builder("http://127.0.0.1:1", "rg_sdk_bench_x")
                .offline(&path)
                .build(),
        )
        .unwrap_or_else(|e| panic!("client: {e}"));
    let contexts: Vec<Context> = (0..1024)
        .map(|i| {
            Context::with_targeting_key(format!("user-{i}"))
                .set("ring", if i % 10 == 0 { "beta" } else { "general" })
                .set("country", "NL")
        })
        .collect();
    let mut i = 0usize;
    c.bench_function("sdk bool_value (segment rule + 25% rollout)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(client.bool_value(black_box("new-checkout"), &contexts[i], false))
        })
    });
    c.bench_function("sdk bool_details (segment rule + 25% rollout)", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(client.bool_details(black_box("new-checkout"), &contexts[i], false))
        })
    });
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
