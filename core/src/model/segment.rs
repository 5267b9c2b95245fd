//! Segments: named audiences, including the built-in rings `alpha`, `beta`, `general`.

use serde::{Deserialize, Serialize};

use super::Condition;

/// A named audience. A context is in the segment when its `targetingKey` is not in
/// `exclude` and either is in `include` or matches any rule (a rule matches when all its
/// conditions do).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// The segment's key.
    #[serde(default)]
    pub key: String,
    /// Free text for humans.
    #[serde(default)]
    pub description: String,
    /// Targeting keys always in the segment (unless excluded).
    #[serde(default)]
    pub include: Vec<String>,
    /// Targeting keys never in the segment.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// OR of rules; each rule is an AND of conditions.
    #[serde(default)]
    pub rules: Vec<SegmentRule>,
}

/// One rule of a segment: all conditions must match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    /// The conditions, ANDed.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

impl Segment {
    /// Gives back the spare capacity deserializing leaves in its vectors (see
    /// [`crate::model::Flag::shrink_to_fit`]).
    pub fn shrink_to_fit(&mut self) {
        self.include.shrink_to_fit();
        self.exclude.shrink_to_fit();
        self.rules.shrink_to_fit();
        for rule in &mut self.rules {
            rule.conditions.shrink_to_fit();
            for condition in &mut rule.conditions {
                condition.values.shrink_to_fit();
            }
        }
    }
}

/// Keys of the built-in segments, in ring order (each ring is opened before the next).
pub const BUILTIN_SEGMENTS: [&str; 3] = ["alpha", "beta", "general"];

/// The built-in segment `key` as seeded on an empty store: `alpha` and `beta` match the
/// context attribute `ring`; `general` matches everyone and cannot be changed.
pub fn builtin_segment(key: &str) -> Option<Segment> {
    let (description, rules) = match key {
        "alpha" => (
            "Internal users and dogfooders (ring = alpha)",
            vec![ring_rule("alpha")],
        ),
        "beta" => (
            "Opted-in early adopters (ring = beta)",
            vec![ring_rule("beta")],
        ),
        "general" => (
            "Everyone",
            vec![SegmentRule {
                conditions: Vec::new(),
            }],
        ),
        _ => return None,
    };
    Some(Segment {
        key: key.to_owned(),
        description: description.to_owned(),
        include: Vec::new(),
        exclude: Vec::new(),
        rules,
    })
}

fn ring_rule(ring: &str) -> SegmentRule {
    SegmentRule {
        conditions: vec![Condition {
            attribute: "ring".to_owned(),
            op: super::Operator::In,
            values: vec![serde_json::Value::String(ring.to_owned())],
            negate: false,
        }],
    }
}
