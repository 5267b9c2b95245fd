//! The Rust SDK against the real server (`/sdk/v1/`): the stream, polling and offline
//! modes, exposures, resilience to a failing network or server, and parity of its local
//! evaluation with OFREP.

mod exposures;
mod modes;
mod parity;
mod resilience;
mod stream;
pub(crate) mod support;
