//! Releases: their lifecycle measured over OFREP, the scheduler on the test clock,
//! webhooks, the command line, and the refusals of bad input.

mod cli;
mod group;
mod lifecycle;
mod ownership;
mod resources;
mod risks;
mod scheduler;
mod start;
pub mod support;
mod tasks;
mod templates;
mod validation;
pub(crate) mod webhooks;
