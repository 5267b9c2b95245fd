//! Conditions: one test of one context attribute.

use serde::{Deserialize, Serialize};

/// `{ "attribute", "op", "values", "negate" }`: `values` is always a list.
///
/// Every operator matches when *any* of `values` matches, except `not_in`, which matches
/// when none does, and `exists`, which takes no values. When the attribute is a list,
/// the condition matches when any element does. A missing attribute matches nothing
/// (before `negate` is applied).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The context attribute tested, e.g. `country` or `targetingKey`.
    pub attribute: String,
    /// The operator.
    pub op: Operator,
    /// The operands.
    #[serde(default)]
    pub values: Vec<serde_json::Value>,
    /// Inverts the outcome.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
}

/// The condition operators of docs/product.md §1.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// The attribute equals one of the values.
    In,
    /// The attribute equals none of the values.
    NotIn,
    /// The string attribute starts with one of the values.
    StartsWith,
    /// The string attribute ends with one of the values.
    EndsWith,
    /// The string attribute contains one of the values.
    Contains,
    /// The string attribute matches one of the regular expressions.
    Matches,
    /// Numeric equality. Numbers compare by value, integers exactly to all 64 bits;
    /// strings that spell a number count as that number.
    Eq,
    /// Numeric inequality.
    Ne,
    /// Numerically less than.
    Lt,
    /// Numerically less than or equal.
    Lte,
    /// Numerically greater than.
    Gt,
    /// Numerically greater than or equal.
    Gte,
    /// Semantic-version equality by precedence (build metadata ignored); the attribute
    /// may carry a leading `v`.
    SemverEq,
    /// Semantic version lower than.
    SemverLt,
    /// Semantic version greater than.
    SemverGt,
    /// The time attribute (RFC 3339 or Unix seconds) is before the value (RFC 3339).
    Before,
    /// The time attribute is after the value.
    After,
    /// The attribute is present and not null.
    Exists,
}

impl Operator {
    /// Every operator, for tests and documentation.
    pub const ALL: [Operator; 18] = [
        Operator::In,
        Operator::NotIn,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::Contains,
        Operator::Matches,
        Operator::Eq,
        Operator::Ne,
        Operator::Lt,
        Operator::Lte,
        Operator::Gt,
        Operator::Gte,
        Operator::SemverEq,
        Operator::SemverLt,
        Operator::SemverGt,
        Operator::Before,
        Operator::After,
        Operator::Exists,
    ];

    /// The operator's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "not_in",
            Operator::StartsWith => "starts_with",
            Operator::EndsWith => "ends_with",
            Operator::Contains => "contains",
            Operator::Matches => "matches",
            Operator::Eq => "eq",
            Operator::Ne => "ne",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::SemverEq => "semver_eq",
            Operator::SemverLt => "semver_lt",
            Operator::SemverGt => "semver_gt",
            Operator::Before => "before",
            Operator::After => "after",
            Operator::Exists => "exists",
        }
    }
}
