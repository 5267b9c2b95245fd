//! The infrastructure the services stand on: nothing here knows HTTP, roles or the
//! rules of releases. The store keeps documents; the hub follows its change feed and
//! publishes what evaluation and SDK streams read; the token index checks credentials
//! in memory; metrics, clock, wake-ups, settings, the Prometheus query client and the
//! rules for outgoing requests are the server's other outside dependencies, each behind
//! one module.

pub(crate) mod auth;
pub(crate) mod clock;
pub mod config;
pub(crate) mod hub;
pub(crate) mod metrics;
pub(crate) mod outbound;
pub(crate) mod promql;
pub mod store;
pub(crate) mod stream;
pub(crate) mod wake;
