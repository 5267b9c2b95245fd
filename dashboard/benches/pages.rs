//! Rendering cost of the dashboard's pages, view model → HTML, with the demo's data and
//! with a page of a 10 000-flag list (the bounds: ≤ 2 ms with the demo data,
//! ≤ 20 ms with 10 000 flags, p99; criterion reports means and spreads).

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rollgate_dashboard::render;

fn pages(c: &mut Criterion) {
    let text = "written by a person";
    let overview = common::overview(text);
    let release = common::release_page(text);
    let flags = common::flag_list(10_000, text);
    let flag = common::flag_page(text);
    let segments = common::segment_list(text);
    let webhook = common::webhook_page(text);
    let audit = common::audit_log(text);
    let mut group = c.benchmark_group("render");
    group.bench_function("overview (demo)", |b| {
        b.iter(|| render(black_box(&overview)).map(|h| h.len()))
    });
    group.bench_function("release page (demo release, 40 events, one chart)", |b| {
        b.iter(|| render(black_box(&release)).map(|h| h.len()))
    });
    group.bench_function("flag list (page of 10 000 flags)", |b| {
        b.iter(|| render(black_box(&flags)).map(|h| h.len()))
    });
    group.bench_function("flag page (20 history entries)", |b| {
        b.iter(|| render(black_box(&flag)).map(|h| h.len()))
    });
    group.bench_function("segments (page of 50)", |b| {
        b.iter(|| render(black_box(&segments)).map(|h| h.len()))
    });
    group.bench_function("webhook (page of 50 deliveries)", |b| {
        b.iter(|| render(black_box(&webhook)).map(|h| h.len()))
    });
    group.bench_function("audit log (page of 50 entries)", |b| {
        b.iter(|| render(black_box(&audit)).map(|h| h.len()))
    });
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
