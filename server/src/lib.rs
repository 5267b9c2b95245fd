//! The Rollgate server: one binary that stores flags, evaluates them over OFREP, keeps
//! SDKs in sync, serves the admin API, runs releases and exposes its metrics.
//!
//! See ARCHITECTURE.md at the repository root for the map of this crate.

pub mod admin;
pub mod app;
pub mod auth;
pub mod changelog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod controller;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod releases;
pub mod reports;
pub mod scheduler;
pub mod state;
pub mod store;
pub mod stream;
pub mod wake;
pub mod webhooks;
