//! Compilation cost (loadtests/README.md, Targets: a snapshot of 10 000 flags ≤ 100 ms).

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::{ENV, builtin_segments, realistic_flag, realistic_flags};
use criterion::{Criterion, criterion_group, criterion_main};
use rollgate_core::compile;

fn compile_snapshot(c: &mut Criterion) {
    let flags = realistic_flags(10_000);
    let segments = builtin_segments();
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("10 000 realistic flags", |b| {
        b.iter(|| compile(ENV, 1, black_box(&flags), &segments).snapshot.len())
    });
    // The worst case for the regex cache: 1 250 regular expressions, none repeated.
    let distinct: Vec<_> = (0..10_000).map(|i| realistic_flag(i, usize::MAX)).collect();
    group.bench_function("10 000 flags, every regex distinct", |b| {
        b.iter(|| {
            compile(ENV, 1, black_box(&distinct), &segments)
                .snapshot
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, compile_snapshot);
criterion_main!(benches);
