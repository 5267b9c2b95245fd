//! The hit path does not allocate (loadtests/README.md): a counting global allocator watches
//! evaluations that hit a segment rule, that fall through to a rollout, and all 50
//! realistic flags for one context.
//!
//! This binary holds a single test on purpose: the allocator counts every thread, so
//! no other test may run beside it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

mod common;

use std::alloc::System;
use std::hint::black_box;

use common::{context, realistic_flags, segment_and_rollout_flag, snapshot, user_context};
use rollgate_core::evaluate::evaluate_all;
use rollgate_core::{Reason, evaluate};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn evaluations_that_serve_a_variant_allocate_nothing() {
    let mut flags = realistic_flags(50);
    flags.push(segment_and_rollout_flag("checkout"));
    let snapshot = snapshot(&flags);
    let alpha = context(json!({ "targetingKey": "user-1", "ring": "alpha" }));
    let general = user_context("user-8472");

    // The counter is live: an allocation inside a region is seen.
    let region = Region::new(ALLOCATOR);
    black_box(Box::new(black_box(7u64)));
    assert_eq!(region.change().allocations, 1);

    // Regexes set up their per-thread scratch space on first use; warm it up.
    let all = evaluate_all(&snapshot, &general).count();

    let region = Region::new(ALLOCATOR);
    let segment_hit = evaluate(&snapshot, "checkout", &alpha);
    let rollout_hit = evaluate(&snapshot, "checkout", &general);
    let mut served = 0;
    for (_, evaluation) in evaluate_all(&snapshot, &general) {
        served += usize::from(black_box(evaluation).error.is_none());
    }
    let change = region.change();

    assert_eq!(
        (change.allocations, change.reallocations),
        (0, 0),
        "{change:?}"
    );
    assert_eq!(segment_hit.reason, Reason::TargetingMatch);
    assert_eq!(rollout_hit.reason, Reason::Split);
    assert_eq!(served, all, "every realistic flag serves a variant");
}
