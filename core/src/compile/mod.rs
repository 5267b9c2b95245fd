//! Compilation: an environment's flags and segments become one immutable [`Snapshot`]
//! built for evaluation — segments resolved and shared, conditions compiled, salts
//! pre-hashed, variants addressed by index.
//!
//! Compilation never fails as a whole: a document that does not compile is left out
//! and reported as a warning, so one bad flag cannot take the others down.
//!
//! Each flag and segment is compiled on its own and shared (`Arc`): [`recompile`] builds
//! the next snapshot of an environment from the previous one, compiling again only the
//! documents whose version moved and the flags that use a segment that changed. A write
//! on an environment of 10 000 flags then costs one flag's compilation, and successive
//! snapshots hold their unchanged flags once.

mod condition;
mod flag;
mod number;

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::Value;

pub use condition::{MAX_REGEX_BYTES, MAX_VALUES, Matcher, compile_condition};
use condition::{Regexes, StrSet};
use flag::{compile_flag, compile_segment};

use crate::bucket::SaltedHasher;
use crate::context::Context;
use crate::model::{Flag, Segment, VariantType};
use crate::validate::FieldError;

/// The compiled state of one environment at one store revision.
#[derive(Debug)]
pub struct Snapshot {
    environment: Box<str>,
    revision: u64,
    /// Flag key → position in `flags`; shared with the next snapshot while the keys stay
    /// the same.
    index: Arc<FxHashMap<Arc<str>, u32>>,
    flags: Vec<Arc<CompiledFlag>>,
    /// Every segment that compiled, by key (for the next [`recompile`]).
    segments: FxHashMap<Box<str>, Arc<CompiledSegment>>,
    /// The regexes its conditions use (for the next [`recompile`]).
    regexes: Regexes,
}

/// A document to compile with its version: whatever identifies its content, so that the
/// same key at the same version is the same document in every call of [`recompile`]
/// that shares snapshots (the server passes the revision that wrote it).
#[derive(Debug)]
pub struct Source<'a, T> {
    /// The document.
    pub doc: &'a T,
    /// Its version.
    pub version: u64,
}

impl<'a, T> Source<'a, T> {
    /// A document compiled once, never reused (for [`compile`]).
    fn unversioned(doc: &'a T) -> Source<'a, T> {
        Source { doc, version: 0 }
    }
}

impl<T> Clone for Source<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Source<'_, T> {}

/// The result of [`compile`]: the snapshot and what had to be left out of it.
#[derive(Debug)]
pub struct Compiled {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Documents (or parts) left out, with why.
    pub warnings: Vec<FieldError>,
}

/// One flag as configured in the snapshot's environment.
#[derive(Debug)]
pub(crate) struct CompiledFlag {
    pub(crate) key: Arc<str>,
    /// The version of the document it was compiled from (see [`Source`]).
    pub(crate) version: u64,
    pub(crate) variants: Box<[(Box<str>, Value)]>,
    pub(crate) variant_type: Option<VariantType>,
    pub(crate) enabled: bool,
    pub(crate) off: u16,
    pub(crate) rules: Box<[CompiledRule]>,
    pub(crate) default: CompiledServe,
    /// The default serve is a shadow serve (see [`crate::model::Serve::shadow`]).
    pub(crate) default_shadow: bool,
    pub(crate) hasher: SaltedHasher,
    /// `None` for `targetingKey`.
    pub(crate) stickiness: Option<Box<str>>,
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) segment: Option<Arc<CompiledSegment>>,
    pub(crate) conditions: Box<[Matcher]>,
    pub(crate) serve: CompiledServe,
    /// The serve is a shadow serve.
    pub(crate) shadow: bool,
}

/// A serve with variants by index; a rollout keeps each arm's cumulative end.
#[derive(Debug)]
pub(crate) enum CompiledServe {
    Variant(u16),
    /// Over 10 000 basis points.
    Rollout(Box<[(u16, u16)]>),
    /// Over a total weight of its own (see [`crate::model::Serve::total_weight`]).
    Weighted(u32, Box<[(u16, u32)]>),
}

#[derive(Debug)]
pub(crate) struct CompiledSegment {
    key: Box<str>,
    /// The version of the document it was compiled from (see [`Source`]).
    version: u64,
    include: StrSet,
    exclude: StrSet,
    rules: Box<[Box<[Matcher]>]>,
}

impl CompiledSegment {
    /// Is the context, whose targeting key the caller has already read, in the segment?
    #[inline]
    pub(crate) fn contains(&self, context: &Context, targeting_key: Option<&str>) -> bool {
        if let Some(key) = targeting_key {
            if self.exclude.contains(key) {
                return false;
            }
            if self.include.contains(key) {
                return true;
            }
        }
        self.rules
            .iter()
            .any(|rule| rule.iter().all(|c| c.matches(context)))
    }
}

impl Snapshot {
    /// A snapshot with no flags.
    pub fn empty(environment: &str, revision: u64) -> Snapshot {
        Snapshot {
            environment: environment.into(),
            revision,
            index: Arc::default(),
            flags: Vec::new(),
            segments: FxHashMap::default(),
            regexes: Regexes::default(),
        }
    }

    /// The environment this snapshot evaluates.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The store revision it was compiled from.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Number of flags configured in this environment.
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    /// True when no flag is configured in this environment.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The flag's position (stable for the snapshot's life), if configured here.
    #[inline]
    pub fn flag_index(&self, key: &str) -> Option<usize> {
        self.index.get(key).map(|&i| i as usize)
    }

    /// The key of the flag at `index`.
    pub fn flag_key(&self, index: usize) -> Option<&str> {
        self.flags.get(index).map(|f| &*f.key)
    }

    /// Flag keys in evaluation order (sorted).
    pub fn flag_keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.flags.iter().map(|f| &*f.key)
    }

    /// Variant names of the flag at `flag_index`, in declared order.
    pub fn variant_names(&self, flag_index: usize) -> impl Iterator<Item = &str> {
        self.flags
            .get(flag_index)
            .into_iter()
            .flat_map(|f| f.variants.iter().map(|(name, _)| &**name))
    }

    /// The JSON type of the flag's variants.
    pub fn variant_type(&self, flag_index: usize) -> Option<VariantType> {
        self.flags.get(flag_index).and_then(|f| f.variant_type)
    }

    #[inline]
    pub(crate) fn flag(&self, index: usize) -> Option<&CompiledFlag> {
        self.flags.get(index).map(|flag| &**flag)
    }

    pub(crate) fn flags(&self) -> &[Arc<CompiledFlag>] {
        &self.flags
    }

    /// Where `previous` holds the very compiled flag this snapshot has at `index`
    /// (reused by [`recompile`], not compiled again): what was kept per flag beside
    /// `previous` is still true of it.
    pub fn reused_from(&self, index: usize, previous: &Snapshot) -> Option<usize> {
        let flag = self.flags.get(index)?;
        let theirs = previous.flag_index(&flag.key)?;
        Arc::ptr_eq(flag, previous.flags.get(theirs)?).then_some(theirs)
    }

    /// How many of this snapshot's flags were reused from `previous`.
    pub fn shared_flags(&self, previous: &Snapshot) -> usize {
        (0..self.flags.len())
            .filter(|&i| self.reused_from(i, previous).is_some())
            .count()
    }
}

/// Compiles the flags configured in `environment`, with the segments they use.
pub fn compile<'a>(
    environment: &str,
    revision: u64,
    flags: impl IntoIterator<Item = &'a Flag>,
    segments: impl IntoIterator<Item = &'a Segment>,
) -> Compiled {
    recompile(
        None,
        environment,
        revision,
        flags.into_iter().map(Source::unversioned),
        segments.into_iter().map(Source::unversioned),
    )
}

/// Compiles `environment` like [`compile`], reusing from `previous` (a snapshot of the
/// same environment built by this function from versioned documents) every segment whose
/// version is unchanged, and every flag whose version is unchanged and whose segments
/// were all reused. The result evaluates exactly like [`compile`] of the same documents.
pub fn recompile<'a>(
    previous: Option<&Snapshot>,
    environment: &str,
    revision: u64,
    flags: impl IntoIterator<Item = Source<'a, Flag>>,
    segments: impl IntoIterator<Item = Source<'a, Segment>>,
) -> Compiled {
    let previous = previous.filter(|p| *p.environment == *environment);
    let mut warnings = Vec::new();
    let mut regexes = previous.map(|p| p.regexes.clone()).unwrap_or_default();
    let mut compiled_segments = FxHashMap::default();
    for source in segments {
        let key = source.doc.key.as_str();
        let kept = previous
            .and_then(|p| p.segments.get(key))
            .filter(|old| old.version == source.version);
        if let Some(old) = kept {
            compiled_segments.insert(key.into(), Arc::clone(old));
            continue;
        }
        match compile_segment(source, &mut regexes) {
            Ok(segment) => {
                compiled_segments.insert(key.into(), Arc::new(segment));
            }
            Err(errors) => {
                compiled_segments.remove(key);
                let prefix = format!("segments.{key}");
                warnings.extend(errors.into_iter().map(|e| prefixed(&prefix, e)));
            }
        }
    }
    let mut compiled: Vec<Arc<CompiledFlag>> = Vec::new();
    for source in flags {
        let flag = source.doc;
        let Some(config) = flag.environments.get(environment) else {
            continue;
        };
        let kept = previous
            .and_then(|p| p.flags.get(p.flag_index(&flag.key)?))
            .filter(|old| old.version == source.version && old.uses_only(&compiled_segments));
        if let Some(old) = kept {
            compiled.push(Arc::clone(old));
            continue;
        }
        match compile_flag(source, config, &compiled_segments, &mut regexes) {
            Ok(flag) => compiled.push(Arc::new(flag)),
            Err(errors) => {
                let prefix = format!("flags.{}", flag.key);
                warnings.extend(errors.into_iter().map(|e| prefixed(&prefix, e)));
            }
        }
    }
    compiled.sort_by(|a, b| a.key.cmp(&b.key));
    compiled.dedup_by(|a, b| a.key == b.key);
    let same_keys = previous.filter(|p| {
        p.flags.len() == compiled.len()
            && p.flags.iter().zip(&compiled).all(|(a, b)| a.key == b.key)
    });
    let index = match same_keys {
        Some(p) => Arc::clone(&p.index),
        None => Arc::new(
            compiled
                .iter()
                .enumerate()
                .map(|(i, f)| (Arc::clone(&f.key), i as u32))
                .collect(),
        ),
    };
    compiled.shrink_to_fit();
    regexes.prune();
    Compiled {
        snapshot: Snapshot {
            environment: environment.into(),
            revision,
            index,
            flags: compiled,
            segments: compiled_segments,
            regexes,
        },
        warnings,
    }
}

impl CompiledFlag {
    /// Every segment this flag's rules use is in `segments`, the same compiled segment.
    fn uses_only(&self, segments: &FxHashMap<Box<str>, Arc<CompiledSegment>>) -> bool {
        self.rules.iter().all(|rule| match &rule.segment {
            None => true,
            Some(used) => segments
                .get(&*used.key)
                .is_some_and(|now| Arc::ptr_eq(now, used)),
        })
    }
}

fn prefixed(prefix: &str, error: FieldError) -> FieldError {
    let field = if error.field.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{}", error.field)
    };
    FieldError {
        field,
        message: error.message,
    }
}
