//! The ruleset of one environment: what an SDK needs to compile the same `Snapshot` as
//! the server — the flags configured there, each with only that environment's
//! configuration ([`FlagIn`]), and every segment.
//!
//! `{"environment":"production","revision":12,"flags":[Flag…],"segments":[Segment…]}`

use std::ops::Range;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::{Serialized, array, number, value};
use crate::model::{Flag, FlagConfig, Segment};

/// A full ruleset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ruleset<F = Flag, S = Segment> {
    /// The environment it is for.
    pub environment: String,
    /// The store revision it reflects.
    pub revision: u64,
    /// The flags configured in the environment.
    pub flags: Vec<F>,
    /// Every segment.
    pub segments: Vec<S>,
}

impl<B: AsRef<[u8]>> Ruleset<Serialized<B>, Serialized<B>> {
    /// The ruleset's JSON, and where each document lies in it (flags, then segments).
    pub fn to_json(&self) -> (Vec<u8>, Vec<Range<usize>>) {
        let documents = self.flags.iter().chain(&self.segments);
        let mut out = Vec::with_capacity(
            64 + self.environment.len() + documents.map(|d| d.0.as_ref().len() + 1).sum::<usize>(),
        );
        let mut spans = Vec::with_capacity(self.flags.len() + self.segments.len());
        out.extend_from_slice(b"{\"environment\":");
        value(&mut out, &self.environment);
        out.extend_from_slice(b",\"revision\":");
        number(&mut out, self.revision);
        out.extend_from_slice(b",\"flags\":");
        array(&mut out, &self.flags, &mut spans);
        out.extend_from_slice(b",\"segments\":");
        array(&mut out, &self.segments, &mut spans);
        out.push(b'}');
        (out, spans)
    }
}

/// A flag as one environment's SDKs see it: the other environments left out, without
/// copying the flag. Serializes as the [`Flag`] holding that environment alone would.
#[derive(Serialize)]
pub struct FlagIn<'a> {
    key: &'a str,
    description: &'a str,
    variants: &'a IndexMap<String, serde_json::Value>,
    tags: &'a [String],
    environments: OneEnvironment<'a>,
}

impl<'a> FlagIn<'a> {
    /// `flag` as `environment` sees it; `None` when it is not configured there.
    pub fn new(flag: &'a Flag, environment: &'a str) -> Option<FlagIn<'a>> {
        let config = flag.environments.get(environment)?;
        Some(FlagIn {
            key: &flag.key,
            description: &flag.description,
            variants: &flag.variants,
            tags: &flag.tags,
            environments: OneEnvironment(environment, config),
        })
    }
}

struct OneEnvironment<'a>(&'a str, &'a FlagConfig);

impl Serialize for OneEnvironment<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_flag_in_one_environment_serializes_as_the_flag_with_that_environment_alone() {
        let flag: Flag = serde_json::from_value(json!({
            "key": "a", "description": "A \"quoted\" one", "variants": { "on": true, "off": false },
            "tags": ["x"],
            "environments": {
                "development": { "enabled": false, "off_variant": "off", "default": { "variant": "off" } },
                "production": { "enabled": true, "off_variant": "off", "salt": "s",
                                "default": { "variant": "on" } } }
        }))
        .unwrap();
        let mut alone = flag.clone();
        alone.environments.retain(|name, _| name == "production");
        assert_eq!(
            serde_json::to_vec(&FlagIn::new(&flag, "production")).unwrap(),
            serde_json::to_vec(&alone).unwrap()
        );
        assert!(FlagIn::new(&flag, "staging").is_none());
    }
}
