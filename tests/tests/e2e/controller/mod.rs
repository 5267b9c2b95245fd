//! The canary controller with a real Prometheus scraping the real demo application:
//! releases that advance, roll back or hold by themselves, a person's action winning
//! over a decision in flight, the preflight against a real Prometheus, and the validation
//! reports of those releases.

mod canary;
mod gated;
mod manual;
mod preflight;
mod report;
pub(crate) mod support;
mod watch;
