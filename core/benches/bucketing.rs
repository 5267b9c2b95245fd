//! Bucketing cost (loadtests/README.md, Targets: hash + projection ≤ 15 ns): our
//! [`SaltedHasher`], which
//! absorbs the salt once per snapshot, against the `murmur3` crate hashing the
//! concatenation `salt ++ unit` as the normative definition spells it.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]
#![allow(
    clippy::unwrap_used,
    reason = "benchmarks fail loudly on a broken fixture"
)]

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, criterion_group, criterion_main};
use rollgate_core::bucket::{SaltedHasher, bucket, murmur3_x86_32, project};

const SALT: &str = "new-checkout";
const UNIT: &str = "user-8472-5b1e-4c2a";

fn bucketing(c: &mut Criterion) {
    let mut group = c.benchmark_group("bucketing");
    let hasher = SaltedHasher::new(SALT);
    group.bench_function("salted_hasher (salt pre-absorbed)", |b| {
        b.iter(|| hasher.bucket(black_box(UNIT)))
    });
    group.bench_function("bucket(salt, unit) from scratch", |b| {
        b.iter(|| bucket(black_box(SALT), black_box(UNIT)))
    });
    let concatenated = format!("{SALT}{UNIT}");
    group.bench_function("ours on the concatenation", |b| {
        b.iter(|| project(murmur3_x86_32(black_box(concatenated.as_bytes()), 0)))
    });
    group.bench_function("murmur3 crate on the concatenation", |b| {
        b.iter(|| {
            let hash = murmur3::murmur3_32(&mut Cursor::new(black_box(concatenated.as_bytes())), 0);
            project(hash.unwrap())
        })
    });
    group.bench_function("murmur3 crate, concatenating per call", |b| {
        b.iter(|| {
            let input = format!("{}{}", black_box(SALT), black_box(UNIT));
            project(murmur3::murmur3_32(&mut Cursor::new(input.as_bytes()), 0).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bucketing);
criterion_main!(benches);
