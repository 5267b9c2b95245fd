//! The evaluation context: the attributes of the user, device or request being evaluated.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The attribute OpenFeature uses for the unit of randomisation.
pub const TARGETING_KEY: &str = "targetingKey";

/// An evaluation context: a JSON object of attributes, `targetingKey` among them.
///
/// It is kept as the JSON object it arrives as, so the server evaluates what the caller
/// sent without copying it into another shape.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Context(Map<String, Value>);

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context(Map::new())
    }

    /// A context with only a targeting key.
    pub fn with_targeting_key(key: impl Into<String>) -> Context {
        Context::new().set(TARGETING_KEY, key.into())
    }

    /// Builder-style setter.
    #[must_use]
    pub fn set(mut self, attribute: impl Into<String>, value: impl Into<Value>) -> Context {
        self.0.insert(attribute.into(), value.into());
        self
    }

    /// Sets an attribute in place.
    pub fn insert(&mut self, attribute: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(attribute.into(), value.into());
    }

    /// The attribute's value, if present.
    #[inline]
    pub fn get(&self, attribute: &str) -> Option<&Value> {
        self.0.get(attribute)
    }

    /// The raw `targetingKey` value, if present (it may be of the wrong type).
    #[inline]
    pub fn targeting_key(&self) -> Option<&Value> {
        self.0.get(TARGETING_KEY)
    }

    /// The attributes.
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Map<String, Value>> for Context {
    fn from(map: Map<String, Value>) -> Context {
        Context(map)
    }
}
