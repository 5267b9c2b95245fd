//! Rollgate's load tests: a load generator (keep-alive HTTP/1.1 over a fixed number of
//! connections, open loop at a target rate or closed loop at max, latency from an HDR
//! histogram), the bare actix-web baseline that stands for the physical limit of the
//! stack, and the scenarios that drive the real `rollgate` side by side with it.
//!
//! Layout, so that more scenarios drop in as their own modules and binaries:
//! - [`generator`] — the load generator, independent of Rollgate;
//! - [`baseline`] — the baseline server;
//! - [`process`] — starting servers, `/proc` figures (CPU time, RSS, the machine);
//! - [`seed`] — the data a run needs, written through the admin API;
//! - [`scenarios`] — what each throughput scenario sends;
//! - [`suite`] — `loadtest all`: alternating rounds, medians, ratios to the baseline;
//! - [`results`] — the JSON file and the generated section of `RESULTS.md`;
//! - [`propagation`] and [`server`] — SSE fan-out: an admin write until every connected
//!   stream (1 000 or 10 000 of them) has seen it (binary `propagation`);
//! - [`soak`] — sustained load at half of the maximum: errors and memory growth
//!   (binary `soak`);
//! - [`replicas`] — replicas on Redis against the embedded store: throughput, writes,
//!   propagation across replicas (binary `replicas`).

pub mod baseline;
pub mod generator;
pub mod process;
pub mod propagation;
pub mod replicas;
pub mod results;
pub mod scenarios;
pub mod seed;
pub mod server;
pub mod soak;
pub mod suite;
