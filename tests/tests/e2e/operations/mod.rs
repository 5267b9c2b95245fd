//! The server as an operator runs it: health and readiness, logs, settings, `--demo`,
//! `/metrics`, and the offline way back in (`admin-token create`).

mod metrics;
mod process;
mod recovery;
