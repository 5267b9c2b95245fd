//! The SDK's copy of the environment's ruleset and the compiled snapshot evaluation
//! reads. What the server sends — a [`Ruleset`] from `GET /sdk/v1/ruleset`, the stream's
//! `ruleset` event or a bootstrap file, and [`Change`]s — is `rollgate-core`'s
//! `protocol`, the very types the server writes; the snapshot is compiled by
//! `rollgate_core::compile`, the server's own code, so results are the server's.

use std::collections::{BTreeMap, BTreeSet};

use rollgate_core::model::{Flag, Segment};
pub use rollgate_core::protocol::{Change, Ruleset};
use rollgate_core::{Snapshot, compile};

use crate::exposure::Counters;

/// What evaluation reads: the compiled snapshot and the exposure counters that go with
/// its flag and variant positions.
#[derive(Debug)]
pub struct Loaded {
    /// The compiled snapshot.
    pub snapshot: Snapshot,
    /// Exposure counters, by the snapshot's flag and variant positions.
    pub counters: Counters,
}

impl Loaded {
    /// Compiles `documents` into a snapshot with fresh counters.
    pub fn compile(documents: &Documents) -> Loaded {
        let compiled = compile(
            &documents.environment,
            documents.revision,
            documents.flags.values(),
            documents.segments.values(),
        );
        for warning in &compiled.warnings {
            tracing::warn!(%warning, "left out of the local snapshot");
        }
        let counters = Counters::for_snapshot(&compiled.snapshot);
        Loaded {
            snapshot: compiled.snapshot,
            counters,
        }
    }

    /// A snapshot with no flags, before anything was loaded.
    pub fn empty() -> Loaded {
        let snapshot = Snapshot::empty("", 0);
        let counters = Counters::for_snapshot(&snapshot);
        Loaded { snapshot, counters }
    }
}

/// The SDK's copy of the ruleset's documents.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    /// The environment.
    pub environment: String,
    /// The revision.
    pub revision: u64,
    flags: BTreeMap<String, Flag>,
    segments: BTreeMap<String, Segment>,
}

impl Documents {
    /// The documents of a full ruleset.
    pub fn from_ruleset(ruleset: Ruleset) -> Documents {
        Documents {
            environment: ruleset.environment,
            revision: ruleset.revision,
            flags: ruleset
                .flags
                .into_iter()
                .map(|f| (f.key.clone(), f))
                .collect(),
            segments: ruleset
                .segments
                .into_iter()
                .map(|s| (s.key.clone(), s))
                .collect(),
        }
    }

    /// Applies a change; returns the keys of the flags whose evaluation may differ now:
    /// those in the change, and those using a segment in it.
    pub fn apply(&mut self, change: Change) -> Vec<String> {
        let mut changed: BTreeSet<String> = change.deleted_flags.iter().cloned().collect();
        changed.extend(change.flags.iter().map(|f| f.key.clone()));
        let segments: BTreeSet<&str> = change
            .deleted_segments
            .iter()
            .map(String::as_str)
            .chain(change.segments.iter().map(|s| s.key.as_str()))
            .collect();
        changed.extend(
            self.flags
                .values()
                .filter(|flag| uses_any(flag, &segments))
                .map(|flag| flag.key.clone()),
        );
        for key in &change.deleted_flags {
            self.flags.remove(key);
        }
        for key in &change.deleted_segments {
            self.segments.remove(key);
        }
        for flag in change.flags {
            self.flags.insert(flag.key.clone(), flag);
        }
        for segment in change.segments {
            self.segments.insert(segment.key.clone(), segment);
        }
        self.revision = self.revision.max(change.revision);
        changed.into_iter().collect()
    }

    /// Keys of the flags whose evaluation may differ between `self` and `next`: added,
    /// removed or changed, or using a segment that was.
    pub fn changed_flags(&self, next: &Documents) -> Vec<String> {
        let segments: BTreeSet<&str> = self
            .segments
            .keys()
            .chain(next.segments.keys())
            .filter(|key| self.segments.get(*key) != next.segments.get(*key))
            .map(String::as_str)
            .collect();
        let uses_changed_segment = |flag: &Flag| uses_any(flag, &segments);
        self.flags
            .keys()
            .chain(next.flags.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|key| {
                let (before, after) = (self.flags.get(*key), next.flags.get(*key));
                before != after
                    || before.is_some_and(&uses_changed_segment)
                    || after.is_some_and(&uses_changed_segment)
            })
            .cloned()
            .collect()
    }
}

/// Does any rule of `flag` use one of `segments`?
fn uses_any(flag: &Flag, segments: &BTreeSet<&str>) -> bool {
    flag.environments.values().any(|config| {
        config.rules.iter().any(|rule| {
            rule.segment
                .as_deref()
                .is_some_and(|s| segments.contains(s))
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    fn ruleset() -> Ruleset {
        serde_json::from_value(json!({
            "environment": "production", "revision": 3,
            "flags": [
                { "key": "a", "variants": { "on": true, "off": false },
                  "environments": { "production": { "enabled": true, "off_variant": "off",
                    "rules": [ { "segment": "beta", "serve": { "variant": "on" } } ], "default": { "variant": "off" } } } },
                { "key": "b", "variants": { "on": true, "off": false },
                  "environments": { "production": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } } } }
            ],
            "segments": [ { "key": "beta", "include": ["u1"] } ]
        }))
        .unwrap()
    }

    #[test]
    fn a_change_replaces_adds_and_deletes_and_names_the_flags_it_affects() {
        let before = Documents::from_ruleset(ruleset());
        let mut after = before.clone();
        let change: Change = serde_json::from_value(json!({
            "revision": 5, "deleted_flags": ["b"],
            "segments": [ { "key": "beta", "include": ["u2"] } ]
        }))
        .unwrap();
        assert_eq!(after.apply(change), ["a", "b"]);
        assert_eq!(after.revision, 5);
        assert_eq!(before.changed_flags(&after), ["a", "b"]);
        let loaded = Loaded::compile(&after);
        assert_eq!(loaded.snapshot.flag_keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(loaded.snapshot.revision(), 5);
        assert!(after.changed_flags(&after.clone()).is_empty());
    }
}
