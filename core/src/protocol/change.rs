//! A change to an environment's ruleset: the documents added or changed, whole, and the
//! keys of those removed; `revision` is the store revision that made it.
//!
//! `{"revision":13,"flags":[Flag…],"deleted_flags":["k"],"segments":[Segment…],
//! "deleted_segments":[]}`

use serde::{Deserialize, Serialize};

use super::{Serialized, array, number, value};
use crate::model::{Flag, Segment};

/// A change to a ruleset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "F: Deserialize<'de>, S: Deserialize<'de>"))]
pub struct Change<F = Flag, S = Segment> {
    /// The revision the change brings the ruleset to.
    pub revision: u64,
    /// Flags added or changed.
    #[serde(default)]
    pub flags: Vec<F>,
    /// Flags removed from the environment.
    #[serde(default)]
    pub deleted_flags: Vec<String>,
    /// Segments added or changed.
    #[serde(default)]
    pub segments: Vec<S>,
    /// Segments deleted.
    #[serde(default)]
    pub deleted_segments: Vec<String>,
}

impl<F, S> Change<F, S> {
    /// A change at `revision` that changes nothing yet.
    pub fn new(revision: u64) -> Change<F, S> {
        Change {
            revision,
            flags: Vec::new(),
            deleted_flags: Vec::new(),
            segments: Vec::new(),
            deleted_segments: Vec::new(),
        }
    }

    /// Nothing an SDK would notice.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
            && self.deleted_flags.is_empty()
            && self.segments.is_empty()
            && self.deleted_segments.is_empty()
    }
}

impl<B: AsRef<[u8]>> Change<Serialized<B>, Serialized<B>> {
    /// The change's JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let documents = self.flags.iter().chain(&self.segments);
        let mut out = Vec::with_capacity(64 + documents.map(|d| d.0.as_ref().len()).sum::<usize>());
        let mut spans = Vec::new();
        out.extend_from_slice(b"{\"revision\":");
        number(&mut out, self.revision);
        out.extend_from_slice(b",\"flags\":");
        array(&mut out, &self.flags, &mut spans);
        out.extend_from_slice(b",\"deleted_flags\":");
        value(&mut out, &self.deleted_flags);
        out.extend_from_slice(b",\"segments\":");
        array(&mut out, &self.segments, &mut spans);
        out.extend_from_slice(b",\"deleted_segments\":");
        value(&mut out, &self.deleted_segments);
        out.push(b'}');
        out
    }
}
