//! The wire model of docs/product.md §1: what an admin writes and what the store keeps.
//!
//! These types are plain data with `serde` derives; unknown fields are rejected at parse
//! time so a typo never silently does nothing. Semantic checks (variants that exist,
//! weights that sum to 100 %, regexes that compile, …) live in [`crate::validate`].

mod condition;
mod environment;
mod flag;
mod segment;
mod unique;

pub use condition::{Condition, Operator};
pub use environment::{Environment, ReleasePolicy};
pub use flag::{Flag, FlagConfig, Rule, Serve, VariantType, WeightedVariant};
pub use segment::{BUILTIN_SEGMENTS, Segment, SegmentRule, builtin_segment};

/// Weights are basis points: 10 000 is 100 %.
pub const TOTAL_WEIGHT: u32 = 10_000;

/// Largest `total_weight` a rollout may declare: flagd's limit on the sum of a
/// `fractional`'s weights (`i32::MAX`), which keeps the weights of an imported flag
/// exactly as they were.
pub const MAX_TOTAL_WEIGHT: u32 = i32::MAX as u32;

/// The context attribute that identifies the unit of randomisation unless a flag says
/// otherwise.
pub const DEFAULT_STICKINESS: &str = "targetingKey";
