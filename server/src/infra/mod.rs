//! The infrastructure the services stand on: nothing here knows HTTP, roles or the
//! rules of releases. The store keeps documents; the hub follows its change feed and
//! publishes what evaluation and SDK streams read; the token index checks credentials
//! in memory; metrics, clock, wake-ups, settings and the Prometheus query client are
//! the server's other outside dependencies, each behind one module.

pub mod auth;
pub mod clock;
pub mod config;
pub mod hub;
pub mod metrics;
pub mod promql;
pub mod store;
pub mod stream;
pub mod wake;
