//! The end-to-end tests: the real `rollgate` binary (started by the harness,
//! `rollgate_e2e`) driven from the outside over HTTP, with real clients and tools —
//! the OpenFeature Python SDK, the Rust SDK, Prometheus, Chromium, Schemathesis.
//!
//! One test binary, so the server's dependencies are linked once rather than once per
//! area; a module per area, so a test's name says where it belongs
//! (`admin::flags::…`, `sdk::stream::…`). `cargo nextest` still runs every test in a
//! process of its own. What an area's tests share lives in its `support` module; what
//! every area uses (starting a server, waiting for a condition) lives in the harness.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: failing loudly is the point"
)]

mod admin;
mod bad_input;
mod browsers;
mod controller;
mod dashboard;
mod durability;
mod flagd;
mod ofrep;
mod operations;
mod releases;
mod replicas;
mod reports;
mod sdk;
mod security;
mod tour;
