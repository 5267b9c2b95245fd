//! Every branch of the decision over synthetic observations, one file per step of
//! the order of docs/canary-analysis.md, with the fixtures they (and `properties.rs`) share.

pub(super) mod fixtures;

mod advance;
mod comparison;
mod data_quality;
mod episodes;
mod exposures;
mod guardrails;
