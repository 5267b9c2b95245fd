//! The Rollgate server: one binary that stores flags, evaluates them over OFREP, keeps
//! SDKs in sync, serves the admin API, runs releases and exposes its metrics.
//!
//! The crate is layered, and the tree reads top to bottom:
//!
//! - **transport** — [`http`] (the only module that knows actix-web: routes, extractors,
//!   and the one place errors become responses) and [`cli`] (the release manager's
//!   command-line client of the admin API);
//! - **services** — [`service`]: what Rollgate does, independent of how it is asked —
//!   the caller and its role, versions and `If-Match`, one commit path, one typed error —
//!   and the documents, tokens, audit log, releases, webhooks, reports and changelog
//!   built on it;
//! - **background tasks** — [`tasks`]: the canary controller, the scheduler, the report
//!   writer and the webhook sender, which act through the same services as people do;
//! - **infrastructure** — [`infra`]: the store, the hub of served snapshots, SDK
//!   streams, the token index, metrics, the clock, wake-ups, settings and the Prometheus
//!   query client.
//!
//! Each layer uses only the layers below it. [`lifecycle`] wires them together: it
//! opens the store, starts the tasks, serves HTTP and stops everything in order.
//!
//! See ARCHITECTURE.md at the repository root for the map of this crate.

// Transport.
pub(crate) mod http;

pub mod cli;

// Services.
pub mod service;

// Background tasks.
pub(crate) mod tasks;

// Infrastructure.
pub mod infra;

// The wiring of the layers into a running server.
pub mod lifecycle;
