//! The evaluation context: the attributes of the user, device or request being evaluated.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The attribute OpenFeature uses for the unit of randomisation.
pub const TARGETING_KEY: &str = "targetingKey";

/// Up to this many attributes a lookup scans the list; beyond, it bisects.
const SCANNED_ATTRIBUTES: usize = 16;

/// An evaluation context: a JSON object of attributes, `targetingKey` among them.
///
/// The attributes are kept in one list sorted by name, moved (not copied) out of the
/// JSON object the caller sent. Evaluation looks attributes up many times per request,
/// and on a context of a dozen attributes a scan that compares lengths before bytes
/// costs a fraction of an ordered map's search, which calls `memcmp` for every name it
/// passes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// Sorted by name; names are unique.
    attributes: Vec<(String, Value)>,
    /// Where `targetingKey` is in `attributes`: every evaluation reads it.
    targeting_key: Option<usize>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// A context with only a targeting key.
    pub fn with_targeting_key(key: impl Into<String>) -> Context {
        Context::new().set(TARGETING_KEY, key.into())
    }

    /// Builder-style setter.
    #[must_use]
    pub fn set(mut self, attribute: impl Into<String>, value: impl Into<Value>) -> Context {
        self.insert(attribute, value);
        self
    }

    /// Sets an attribute in place, replacing any earlier value.
    pub fn insert(&mut self, attribute: impl Into<String>, value: impl Into<Value>) {
        let attribute = attribute.into();
        let value = value.into();
        match self.position(&attribute) {
            Ok(at) => self.attributes[at].1 = value,
            Err(at) => {
                self.attributes.insert(at, (attribute, value));
                self.targeting_key = self.position(TARGETING_KEY).ok();
            }
        }
    }

    /// The attribute's value, if present.
    #[inline]
    pub fn get(&self, attribute: &str) -> Option<&Value> {
        if self.attributes.len() <= SCANNED_ATTRIBUTES {
            self.attributes
                .iter()
                .find_map(|(name, value)| (name == attribute).then_some(value))
        } else {
            let at = self.position(attribute).ok()?;
            self.attributes.get(at).map(|(_, value)| value)
        }
    }

    /// The raw `targetingKey` value, if present (it may be of the wrong type).
    #[inline]
    pub fn targeting_key(&self) -> Option<&Value> {
        let at = self.targeting_key?;
        self.attributes.get(at).map(|(_, value)| value)
    }

    /// The attributes, sorted by name.
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.attributes
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.attributes.len()
    }

    /// True when there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    fn position(&self, attribute: &str) -> Result<usize, usize> {
        self.attributes
            .binary_search_by(|(name, _)| name.as_str().cmp(attribute))
    }
}

impl Context {
    /// A context of `attributes` in any order; a name given more than once keeps its
    /// last value, as when the same JSON object is read into a map.
    pub fn from_attributes(mut attributes: Vec<(String, Value)>) -> Context {
        if !attributes.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: among equal names the order they came in stays, so the last is the
            // one to keep.
            attributes.sort_by(|a, b| a.0.cmp(&b.0));
            attributes.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
        }
        let mut context = Context {
            attributes,
            targeting_key: None,
        };
        context.targeting_key = context.position(TARGETING_KEY).ok();
        context
    }

    /// Reads the entries of a JSON object (or any map a deserializer offers) straight into
    /// a context, without building a map first. A format's errors pass through as they
    /// are.
    pub fn from_entries<'de, A: MapAccess<'de>>(mut entries: A) -> Result<Context, A::Error> {
        let mut attributes = Vec::with_capacity(entries.size_hint().unwrap_or(8).min(64));
        while let Some(name) = entries.next_key::<String>()? {
            let value = entries.next_value::<Value>()?;
            attributes.push((name, value));
        }
        Ok(Context::from_attributes(attributes))
    }
}

impl From<Map<String, Value>> for Context {
    fn from(map: Map<String, Value>) -> Context {
        // serde_json's map iterates in name order unless its `preserve_order` feature is
        // on somewhere in the build; then the names still are unique, just unsorted.
        Context::from_attributes(map.into_iter().collect())
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.attributes())
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Context, D::Error> {
        deserializer.deserialize_map(ContextVisitor)
    }
}

/// Reads a JSON object into a [`Context`].
struct ContextVisitor;

impl<'de> Visitor<'de> for ContextVisitor {
    type Value = Context;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, entries: A) -> Result<Context, A::Error> {
        Context::from_entries(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn many(n: usize) -> Context {
        (0..n).rev().fold(Context::new(), |context, i| {
            context.set(format!("attr-{i:03}"), i)
        })
    }

    #[test]
    fn lookups_find_every_attribute_in_short_and_long_contexts() {
        for n in [0, 1, 5, SCANNED_ATTRIBUTES, SCANNED_ATTRIBUTES + 1, 200] {
            let context = many(n);
            assert_eq!(context.len(), n);
            for i in 0..n {
                assert_eq!(context.get(&format!("attr-{i:03}")), Some(&json!(i)));
            }
            assert_eq!(context.get("attr-"), None);
            assert_eq!(context.get("zzz"), None);
        }
    }

    #[test]
    fn insert_replaces_and_keeps_names_sorted() {
        let context = Context::with_targeting_key("u")
            .set("b", 1)
            .set("a", 2)
            .set("b", 3);
        let names: Vec<&str> = context.attributes().map(|(name, _)| name).collect();
        assert_eq!(names, ["a", "b", "targetingKey"]);
        assert_eq!(context.get("b"), Some(&json!(3)));
        assert_eq!(context.targeting_key(), Some(&json!("u")));
        let later = Context::new()
            .set("z", 1)
            .set(TARGETING_KEY, "k")
            .set("a", 2);
        assert_eq!(later.targeting_key(), Some(&json!("k")));
        assert_eq!(Context::new().set("a", 1).targeting_key(), None);
    }

    #[test]
    fn reads_and_writes_a_json_object() {
        let text = r#"{"targetingKey":"u","country":"NL","tags":["a"]}"#;
        let context: Context = serde_json::from_str(text).unwrap();
        assert_eq!(context.get("country"), Some(&json!("NL")));
        assert_eq!(
            serde_json::to_value(&context).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(serde_json::from_str::<Context>("[1]").is_err());
    }

    #[test]
    fn a_name_given_twice_keeps_its_last_value_as_a_map_would() {
        for text in [
            r#"{"b":1,"a":2,"b":3,"targetingKey":"x","a":4,"b":5}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"z":1,"targetingKey":"u","targetingKey":"v","c":[1,{"d":2}]}"#,
            r#"{}"#,
        ] {
            let read: Context = serde_json::from_str(text).unwrap();
            let map: Map<String, Value> = serde_json::from_str(text).unwrap();
            assert_eq!(read, Context::from(map), "{text}");
        }
        let read: Context = serde_json::from_str(r#"{"b":1,"targetingKey":"u","b":3}"#).unwrap();
        let names: Vec<&str> = read.attributes().map(|(name, _)| name).collect();
        assert_eq!(names, ["b", "targetingKey"]);
        let mut grown = read.clone().set("a", 0).set("b", 4);
        grown.insert("zz", true);
        let names: Vec<&str> = grown.attributes().map(|(name, _)| name).collect();
        assert_eq!(names, ["a", "b", "targetingKey", "zz"]);
        assert_eq!(grown.get("b"), Some(&json!(4)));
        assert_eq!(grown.targeting_key(), Some(&json!("u")));
        assert_eq!(read.get("b"), Some(&json!(3)));
        assert_eq!(read.targeting_key(), Some(&json!("u")));
    }

    #[test]
    fn errors_inside_the_object_are_the_formats_own() {
        for text in [
            r#"{"a":}"#,
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,}"#,
            "[1]",
            "3",
        ] {
            let read = serde_json::from_str::<Context>(text)
                .unwrap_err()
                .to_string();
            let map = serde_json::from_str::<Map<String, Value>>(text)
                .unwrap_err()
                .to_string();
            assert_eq!(read, map, "{text}");
        }
    }
}
