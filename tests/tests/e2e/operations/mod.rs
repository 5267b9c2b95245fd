//! The server as an operator runs it: health and readiness, logs, settings, `--demo`,
//! and `/metrics`.

mod metrics;
mod process;
