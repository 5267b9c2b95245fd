//! The SDK ruleset of one environment (`rollgate_core::protocol::Ruleset`: the flags
//! configured there, with only that environment's config, and every segment), kept
//! serialized between publications.
//!
//! Each flag and segment is serialized once per *revision that wrote it* (a store
//! version starts again at 1 when a deleted key is written anew, so it cannot tell two
//! documents apart inside one batch of changes) and cached, so a publication
//! re-serializes only what changed and the difference against the previous publication
//! (the `change` event, `rollgate_core::protocol::Change`) falls out of the cache update.
//! A flag whose version moved because another environment's config changed serializes
//! to the same bytes here, so it is not a change for this environment.

use std::collections::BTreeMap;

use bytes::Bytes;
use rollgate_core::model::Flag;
use rollgate_core::protocol::{Change, FlagIn, Ruleset, Serialized};

use super::Head;
use crate::infra::hub::{Catalog, Versioned};

/// One document as this environment sees it.
#[derive(Clone, Debug)]
struct Cached {
    /// The revision that wrote the document (see [`Versioned::revision`]).
    revision: u64,
    /// `None`: the flag is not configured in this environment.
    bytes: Option<Bytes>,
}

/// What changed for one environment between two publications: a change whose documents
/// are already serialized.
pub(crate) type Delta = Change<Serialized<Bytes>, Serialized<Bytes>>;

/// Keeps one environment's serialized documents between publications.
#[derive(Debug)]
pub(crate) struct RulesetBuilder {
    environment: String,
    flags: BTreeMap<String, Cached>,
    segments: BTreeMap<String, Cached>,
}

impl RulesetBuilder {
    /// A builder that has seen nothing yet.
    pub(crate) fn new(environment: &str) -> RulesetBuilder {
        RulesetBuilder {
            environment: environment.to_owned(),
            flags: BTreeMap::new(),
            segments: BTreeMap::new(),
        }
    }

    /// Brings the cache to `catalog` and returns what changed for this environment.
    /// The cache is updated in place: only documents written since are serialized
    /// again, and nothing is allocated for the others.
    pub(crate) fn update(&mut self, catalog: &Catalog) -> Delta {
        let mut delta = Delta::new(catalog.revision);
        let environment = self.environment.as_str();
        let changed = refresh(&mut self.flags, &catalog.flags, |flag: &Flag| {
            FlagIn::new(flag, environment).and_then(|flag| serde_json::to_vec(&flag).ok())
        });
        delta.deleted_flags = changed.deleted;
        for (key, now) in changed.serialized {
            match now {
                Some(now) => delta.flags.push(Serialized(now)),
                None => delta.deleted_flags.push(key),
            }
        }
        delta.deleted_flags.sort();
        let changed = refresh(&mut self.segments, &catalog.segments, |segment| {
            serde_json::to_vec(segment).ok()
        });
        delta.deleted_segments = changed.deleted;
        delta.segments = changed
            .serialized
            .into_iter()
            .filter_map(|(_, now)| now.map(Serialized))
            .collect();
        delta
    }

    /// The full ruleset at `revision` (the tests read it).
    #[cfg(test)]
    pub(crate) fn ruleset(&self, revision: u64) -> Bytes {
        Bytes::from(self.build(revision).0)
    }

    /// The head at `revision`. The cached documents are then re-pointed into the head's
    /// bytes, so the ruleset is held once (not once per document plus once whole).
    pub(crate) fn head(&mut self, revision: u64) -> Head {
        let (ruleset, spans) = self.build(revision);
        let head = Head::new(revision, Bytes::from(ruleset));
        let cached = self.flags.values_mut().chain(self.segments.values_mut());
        for (cached, span) in cached.filter(|c| c.bytes.is_some()).zip(spans) {
            cached.bytes = Some(head.ruleset.slice(span));
        }
        head
    }

    /// The ruleset JSON, and where each cached document lies in it (flags, then
    /// segments, in cache order).
    fn build(&self, revision: u64) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
        Ruleset {
            environment: self.environment.clone(),
            revision,
            flags: documents(&self.flags),
            segments: documents(&self.segments),
        }
        .to_json()
    }
}

/// The documents of `cache` that show in this environment, in key order.
fn documents(cache: &BTreeMap<String, Cached>) -> Vec<Serialized<&Bytes>> {
    cache
        .values()
        .filter_map(|c| c.bytes.as_ref().map(Serialized))
        .collect()
}

/// What [`refresh`] found.
struct Refreshed {
    /// Documents whose bytes here changed, in key order: the new bytes, or `None` when
    /// the document no longer shows here (a flag removed from this environment).
    serialized: Vec<(String, Option<Bytes>)>,
    /// Keys of documents deleted that showed here.
    deleted: Vec<String>,
}

/// Brings `cache` to `documents`, serializing only the documents written since.
/// A document that serializes to the bytes it had keeps them (they are shared with the
/// current head, see [`RulesetBuilder::head`]) and is no change.
fn refresh<T>(
    cache: &mut BTreeMap<String, Cached>,
    documents: &BTreeMap<String, Versioned<T>>,
    serialize: impl Fn(&T) -> Option<Vec<u8>>,
) -> Refreshed {
    let mut deleted = Vec::new();
    cache.retain(|key, cached| {
        let kept = documents.contains_key(key);
        if !kept && cached.bytes.is_some() {
            deleted.push(key.clone());
        }
        kept
    });
    let mut serialized = Vec::new();
    for (key, document) in documents {
        if cache
            .get(key)
            .is_some_and(|c| c.revision == document.revision)
        {
            continue;
        }
        let cached = cache.entry(key.clone()).or_insert(Cached {
            revision: document.revision,
            bytes: None,
        });
        cached.revision = document.revision;
        let now = serialize(&document.doc).map(Bytes::from);
        match (now, &cached.bytes) {
            (Some(now), Some(then)) if now == *then => {}
            (None, None) => {}
            (now, _) => {
                cached.bytes.clone_from(&now);
                serialized.push((key.clone(), now));
            }
        }
    }
    Refreshed {
        serialized,
        deleted,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::sync::Arc;

    use rollgate_core::model::Segment;
    use serde_json::{Value, json};

    use super::*;

    fn flag(key: &str, envs: Value) -> Flag {
        serde_json::from_value(json!({
            "key": key, "variants": { "on": true, "off": false }, "environments": envs
        }))
        .unwrap()
    }

    fn config(variant: &str) -> Value {
        json!({ "enabled": true, "off_variant": "off", "default": { "variant": variant } })
    }

    fn catalog(revision: u64, flags: Vec<(Flag, u64)>, segments: Vec<(Segment, u64)>) -> Catalog {
        Catalog {
            revision,
            flags: flags
                .into_iter()
                .map(|(f, version)| {
                    (
                        f.key.clone(),
                        Versioned {
                            version,
                            revision,
                            doc: Arc::new(f),
                        },
                    )
                })
                .collect(),
            segments: segments
                .into_iter()
                .map(|(s, version)| {
                    (
                        s.key.clone(),
                        Versioned {
                            version,
                            revision,
                            doc: Arc::new(s),
                        },
                    )
                })
                .collect(),
            ..Catalog::default()
        }
    }

    #[test]
    fn the_ruleset_holds_only_this_environments_config_and_compiles_the_same() {
        let a = flag(
            "a",
            json!({ "production": config("on"), "development": config("off") }),
        );
        let b = flag("b", json!({ "development": config("on") }));
        let segment = rollgate_core::model::builtin_segment("beta").unwrap();
        let catalog = catalog(7, vec![(a, 1), (b, 1)], vec![(segment, 1)]);
        let mut builder = RulesetBuilder::new("production");
        builder.update(&catalog);
        let ruleset: Value = serde_json::from_slice(&builder.ruleset(7)).unwrap();
        assert_eq!(ruleset["environment"], "production");
        assert_eq!(ruleset["revision"], 7);
        let flags = ruleset["flags"].as_array().unwrap();
        assert_eq!(flags.len(), 1, "b is not configured in production");
        assert_eq!(flags[0]["key"], "a");
        assert_eq!(
            flags[0]["environments"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["production"]
        );
        let parsed: Vec<Flag> = serde_json::from_value(ruleset["flags"].clone()).unwrap();
        let segments: Vec<Segment> = serde_json::from_value(ruleset["segments"].clone()).unwrap();
        let local = rollgate_core::compile("production", 7, &parsed, &segments);
        let served = catalog.compile("production", None);
        assert_eq!(
            local.snapshot.flag_keys().collect::<Vec<_>>(),
            served.snapshot.flag_keys().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_change_in_another_environment_is_no_change_here() {
        let mut builder = RulesetBuilder::new("production");
        let a1 = flag(
            "a",
            json!({ "production": config("on"), "development": config("on") }),
        );
        assert_eq!(
            builder
                .update(&catalog(1, vec![(a1, 1)], vec![]))
                .flags
                .len(),
            1
        );
        let a2 = flag(
            "a",
            json!({ "production": config("on"), "development": config("off") }),
        );
        assert!(
            builder
                .update(&catalog(2, vec![(a2, 2)], vec![]))
                .is_empty()
        );
        let a3 = flag(
            "a",
            json!({ "production": config("off"), "development": config("off") }),
        );
        let delta = builder.update(&catalog(3, vec![(a3, 3)], vec![]));
        assert_eq!(delta.flags.len(), 1);
        let change: Value = serde_json::from_slice(&delta.to_json()).unwrap();
        assert_eq!(change["revision"], 3);
        assert_eq!(
            change["flags"][0]["environments"]["production"]["default"]["variant"],
            "off"
        );
    }

    #[test]
    fn removals_from_the_environment_and_deletions_are_reported_once() {
        let mut builder = RulesetBuilder::new("production");
        let a = flag("a", json!({ "production": config("on") }));
        let b = flag("b", json!({ "production": config("on") }));
        let segment = rollgate_core::model::builtin_segment("alpha").unwrap();
        builder.update(&catalog(1, vec![(a, 1), (b, 1)], vec![(segment, 1)]));
        let a_elsewhere = flag("a", json!({ "development": config("on") }));
        let delta = builder.update(&catalog(2, vec![(a_elsewhere, 2)], vec![]));
        assert_eq!(delta.deleted_flags, ["a", "b"]);
        assert_eq!(delta.deleted_segments, ["alpha"]);
        assert!(delta.flags.is_empty());
        let again = flag("a", json!({ "development": config("on") }));
        assert!(
            builder
                .update(&catalog(3, vec![(again, 2)], vec![]))
                .is_empty()
        );
        let ruleset: Value = serde_json::from_slice(&builder.ruleset(3)).unwrap();
        assert_eq!(ruleset["flags"], json!([]));
    }

    #[test]
    fn a_flag_deleted_and_created_again_in_one_batch_is_a_change_though_its_version_is_the_same() {
        let mut builder = RulesetBuilder::new("production");
        let first = flag("a", json!({ "production": config("on") }));
        builder.update(&catalog(1, vec![(first, 1)], vec![]));
        // Deleted at revision 2 and created again at 3, published together: version 1 again.
        let again = flag("a", json!({ "production": config("off") }));
        let delta = builder.update(&catalog(3, vec![(again, 1)], vec![]));
        assert_eq!(delta.flags.len(), 1);
        let ruleset: Value = serde_json::from_slice(&builder.ruleset(3)).unwrap();
        assert_eq!(
            ruleset["flags"][0]["environments"]["production"]["default"]["variant"],
            "off"
        );
    }
}
