//! Rollgate's load tests: scenarios that drive a running `rollgate` binary over
//! loopback and measure it. Each scenario is a module with a small binary in
//! `src/bin/`; results and how they were obtained are in `RESULTS.md`.

pub mod propagation;
pub mod server;
