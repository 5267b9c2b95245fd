//! What an import needs to know of the documents that already exist.
//!
//! The import is pure, so the caller lends it a view of its catalog: which environments
//! exist (the one imported into must, and a replaced flag's other environments are
//! validated too), and the flags and segments an imported key may collide with.

use crate::model::{Flag, Segment};

/// A read-only view of the existing documents.
pub trait CatalogView {
    /// Keys of every environment.
    fn environments(&self) -> Vec<String>;
    /// The flag `key`, if it exists.
    fn flag(&self, key: &str) -> Option<&Flag>;
    /// The segment `key`, if it exists.
    fn segment(&self, key: &str) -> Option<&Segment>;
    /// Keys of every segment (a replaced flag's other environments may use any).
    fn segment_keys(&self) -> Vec<String>;
}

/// A catalog held as plain lists: for callers without one of their own, and tests.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    /// Environment keys.
    pub environments: Vec<String>,
    /// Flags.
    pub flags: Vec<Flag>,
    /// Segments.
    pub segments: Vec<Segment>,
}

impl Documents {
    /// A catalog of `environments` with no flags or segments.
    pub fn with_environments<'a>(environments: impl IntoIterator<Item = &'a str>) -> Documents {
        Documents {
            environments: environments.into_iter().map(str::to_owned).collect(),
            ..Documents::default()
        }
    }
}

impl CatalogView for Documents {
    fn environments(&self) -> Vec<String> {
        self.environments.clone()
    }

    fn flag(&self, key: &str) -> Option<&Flag> {
        self.flags.iter().find(|flag| flag.key == key)
    }

    fn segment(&self, key: &str) -> Option<&Segment> {
        self.segments.iter().find(|segment| segment.key == key)
    }

    fn segment_keys(&self) -> Vec<String> {
        self.segments.iter().map(|s| s.key.clone()).collect()
    }
}
