//! Flags, their per-environment configuration, rules and serves.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Condition;

/// A feature switch with typed variants and one configuration per environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Flag {
    /// The flag's key (may be left out of a request body: the URL names it).
    #[serde(default)]
    pub key: String,
    /// Free text for humans.
    #[serde(default)]
    pub description: String,
    /// Variant name → JSON value; all values share one JSON type.
    #[serde(deserialize_with = "super::unique::deserialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub variants: IndexMap<String, serde_json::Value>,
    /// Labels for filtering.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Environment key → how the flag evaluates there. A missing environment evaluates
    /// as disabled. Boxed: a map node has room for 11 entries, so unboxed configs made
    /// every flag cost about 2 KB for its (usually one or two) environments.
    #[serde(default, deserialize_with = "super::unique::deserialize")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, FlagConfig>))]
    pub environments: BTreeMap<String, Box<FlagConfig>>,
}

/// How a flag evaluates in one environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FlagConfig {
    /// When false the flag serves `off_variant` with reason `DISABLED`.
    #[serde(default)]
    pub enabled: bool,
    /// The variant served while disabled; also the release's control variant.
    pub off_variant: String,
    /// Ordered rules; the first match serves.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// What to serve when no rule matches.
    pub default: Serve,
    /// Prefix of the hashed input; defaults to the flag key. Flags sharing a salt put a
    /// user in the same bucket, which keeps a release's features together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// Hash the unit alone, without a salt (not even the flag key): how flagd's
    /// `fractional` buckets by an attribute (`{"var": "email"}`), so that flags imported
    /// from flagd keep their cohorts. Excludes `salt`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsalted: bool,
    /// The context attribute that identifies the unit of randomisation; defaults to
    /// `targetingKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stickiness: Option<String>,
}

/// "Who gets what": a segment and/or conditions (all must match) and a serve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A segment the context must be in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Conditions the context must all match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// What a matching context gets.
    pub serve: Serve,
}

/// Either one variant (`{ "variant": "on" }`) or a weighted rollout
/// (`{ "rollout": [ { "variant": "on", "weight": 2500 }, … ] }`); exactly one of the two.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Serve {
    /// A fixed variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// A weighted split, weights in basis points summing to 10 000 (or to
    /// `total_weight`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Vec<WeightedVariant>>,
    /// What the rollout's weights sum to, when not 10 000: a unit's bucket is then
    /// `(hash × total_weight) >> 32` instead of `(hash × 10 000) >> 32`. flagd's
    /// `fractional` maps onto the sum of its weights this way; a split such as thirds,
    /// which basis points cannot state exactly, keeps its cohorts with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_weight: Option<u32>,
    /// A dark launch (a `shadow` release): the caller gets the flag's `off_variant`,
    /// and the evaluation names the variant this serve chose as its shadow variant.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shadow: bool,
}

impl Flag {
    /// Gives back the spare capacity that deserializing leaves in every vector (they grow
    /// by doubling), for documents kept in memory for a long time.
    pub fn shrink_to_fit(&mut self) {
        self.variants.shrink_to_fit();
        self.tags.shrink_to_fit();
        for config in self.environments.values_mut() {
            config.shrink_to_fit();
        }
    }
}

impl FlagConfig {
    /// See [`Flag::shrink_to_fit`].
    pub fn shrink_to_fit(&mut self) {
        self.rules.shrink_to_fit();
        for rule in &mut self.rules {
            rule.conditions.shrink_to_fit();
            for condition in &mut rule.conditions {
                condition.values.shrink_to_fit();
            }
            rule.serve.shrink_to_fit();
        }
        self.default.shrink_to_fit();
    }
}

impl Serve {
    /// A serve of one fixed variant.
    pub fn variant(name: impl Into<String>) -> Serve {
        Serve {
            variant: Some(name.into()),
            ..Serve::default()
        }
    }

    /// A serve of a weighted rollout.
    pub fn rollout(split: impl IntoIterator<Item = (String, u32)>) -> Serve {
        Serve {
            variant: None,
            rollout: Some(
                split
                    .into_iter()
                    .map(|(variant, weight)| WeightedVariant { variant, weight })
                    .collect(),
            ),
            ..Serve::default()
        }
    }

    /// See [`Flag::shrink_to_fit`].
    pub fn shrink_to_fit(&mut self) {
        if let Some(rollout) = &mut self.rollout {
            rollout.shrink_to_fit();
        }
    }

    /// The same serve, as a shadow serve when `shadow` is true.
    #[must_use]
    pub fn shadowed(mut self, shadow: bool) -> Serve {
        self.shadow = shadow;
        self
    }
}

/// One arm of a rollout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WeightedVariant {
    /// The variant served in this arm.
    pub variant: String,
    /// Basis points (percent × 100), or a share of the serve's `total_weight`.
    pub weight: u32,
}

/// The JSON type of a flag's variants, as OpenFeature clients ask for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VariantType {
    /// `true` / `false`.
    Boolean,
    /// A string.
    String,
    /// A number without a fraction or exponent.
    Integer,
    /// A number written with a fraction or exponent.
    Float,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
}

impl VariantType {
    /// The type of one JSON value; `None` for `null`, which no variant may be.
    pub fn of(value: &serde_json::Value) -> Option<VariantType> {
        use serde_json::Value;
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => VariantType::Boolean,
            Value::String(_) => VariantType::String,
            Value::Number(n) if n.is_f64() => VariantType::Float,
            Value::Number(_) => VariantType::Integer,
            Value::Object(_) => VariantType::Object,
            Value::Array(_) => VariantType::Array,
        })
    }

    /// The type's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            VariantType::Boolean => "boolean",
            VariantType::String => "string",
            VariantType::Integer => "integer",
            VariantType::Float => "float",
            VariantType::Object => "object",
            VariantType::Array => "array",
        }
    }
}

impl Flag {
    /// The type shared by all variants, if they share one.
    pub fn variant_type(&self) -> Option<VariantType> {
        let mut types = self.variants.values().map(VariantType::of);
        let first = types.next()??;
        types.all(|t| t == Some(first)).then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_gives_back_spare_capacity_and_changes_nothing_else() {
        let mut flag: Flag = serde_json::from_value(serde_json::json!({
            "key": "f", "variants": { "on": true, "off": false }, "tags": ["a"],
            "environments": { "production": {
                "enabled": true, "off_variant": "off",
                "rules": [ { "conditions": [
                    { "attribute": "country", "op": "in", "values": ["NL"] } ],
                    "serve": { "rollout": [ { "variant": "on", "weight": 10000 } ] } } ],
                "default": { "variant": "off" } } }
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let before = flag.clone();
        let config = flag.environments.get_mut("production");
        let rules = &mut config.unwrap_or_else(|| panic!("configured")).rules;
        rules.reserve(100);
        rules[0].conditions.reserve(100);
        flag.shrink_to_fit();
        assert_eq!(flag, before);
        let rules = &flag.environments["production"].rules;
        assert_eq!(rules.capacity(), 1);
        assert_eq!(rules[0].conditions.capacity(), 1);
    }
}
