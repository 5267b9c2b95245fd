//! Evaluation cost (loadtests/README.md: one evaluation of a segment rule + rollout ≤ 50 ns
//! median; all 50 flags of one context ≤ 5 µs).

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use common::{five_rule_flag, realistic_flags, segment_and_rollout_flag, snapshot, user_context};
use criterion::{Criterion, criterion_group, criterion_main};
use rollgate_core::evaluate::evaluate_all;
use rollgate_core::{Reason, evaluate};

fn one_flag(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    let flags = [
        segment_and_rollout_flag("rollout"),
        five_rule_flag("five-rules", 0),
    ];
    let snapshot = snapshot(&flags);
    let context = user_context("user-8472-5b1e-4c2a");
    assert_eq!(
        evaluate(&snapshot, "rollout", &context).reason,
        Reason::Split
    );
    assert_eq!(
        evaluate(&snapshot, "five-rules", &context).reason,
        Reason::Split
    );
    group.bench_function("segment rule + 25 % rollout", |b| {
        b.iter(|| evaluate(&snapshot, black_box("rollout"), black_box(&context)).variant)
    });
    let contexts: Vec<_> = (0..1024)
        .map(|i| user_context(&format!("user-{i:06}")))
        .collect();
    let mut next = contexts.iter().cycle();
    group.bench_function("segment rule + 25 % rollout, 1024 contexts in turn", |b| {
        b.iter(|| {
            let context = next.next().unwrap_or(&context);
            evaluate(&snapshot, black_box("rollout"), context).variant
        })
    });
    group.bench_function("five rules of mixed operators", |b| {
        b.iter(|| evaluate(&snapshot, black_box("five-rules"), black_box(&context)).variant)
    });
    group.finish();
}

fn all_flags(c: &mut Criterion) {
    let snapshot = snapshot(&realistic_flags(50));
    let context = user_context("user-8472-5b1e-4c2a");
    c.bench_function("evaluate_all/50 realistic flags", |b| {
        b.iter(|| {
            let mut served = 0;
            for (_, evaluation) in evaluate_all(&snapshot, black_box(&context)) {
                served += usize::from(black_box(evaluation).variant.is_some());
            }
            served
        })
    });
}

criterion_group!(benches, one_flag, all_flags);
criterion_main!(benches);
