//! The canary controller with a real Prometheus scraping the real demo application:
//! releases that advance, roll back or hold by themselves, a person's action winning
//! over a decision in flight, and the validation reports of those releases.

mod canary;
mod manual;
mod report;
pub(crate) mod support;
