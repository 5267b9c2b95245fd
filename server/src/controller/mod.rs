//! The canary controller: every interval, for each running release, query Prometheus,
//! let `rollgate_core` decide, apply the decision, record it.

pub mod prometheus;
pub mod template;
