//! Compilation: an environment's flags and segments become one immutable [`Snapshot`]
//! built for evaluation — segments resolved and shared, conditions compiled, salts
//! pre-hashed, variants addressed by index.
//!
//! Compilation never fails as a whole: a document that does not compile is left out
//! and reported as a warning, so one bad flag cannot take the others down.

mod condition;

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::Value;

pub use condition::{MAX_REGEX_BYTES, MAX_VALUES, Matcher, compile_condition};

use crate::bucket::SaltedHasher;
use crate::context::{Context, TARGETING_KEY};
use crate::model::{DEFAULT_STICKINESS, Flag, FlagConfig, Segment, Serve, VariantType};
use crate::validate::{FieldError, flag::check_serve};

/// The compiled state of one environment at one store revision.
#[derive(Debug)]
pub struct Snapshot {
    environment: Box<str>,
    revision: u64,
    index: FxHashMap<Box<str>, u32>,
    flags: Vec<CompiledFlag>,
}

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
    pub(crate) key: Box<str>,
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
    Rollout(Box<[(u16, u16)]>),
}

#[derive(Debug)]
pub(crate) struct CompiledSegment {
    include: Box<[Box<str>]>,
    include_set: Option<rustc_hash::FxHashSet<Box<str>>>,
    exclude: Box<[Box<str>]>,
    exclude_set: Option<rustc_hash::FxHashSet<Box<str>>>,
    rules: Box<[Box<[Matcher]>]>,
}

impl CompiledSegment {
    /// Is the context in the segment?
    #[inline]
    pub(crate) fn contains(&self, context: &Context) -> bool {
        if let Some(key) = context.targeting_key().and_then(Value::as_str) {
            if listed(&self.exclude, self.exclude_set.as_ref(), key) {
                return false;
            }
            if listed(&self.include, self.include_set.as_ref(), key) {
                return true;
            }
        }
        self.rules
            .iter()
            .any(|rule| rule.iter().all(|c| c.matches(context)))
    }
}

#[inline]
fn listed(keys: &[Box<str>], set: Option<&rustc_hash::FxHashSet<Box<str>>>, key: &str) -> bool {
    match set {
        Some(set) => set.contains(key),
        None => keys.iter().any(|k| &**k == key),
    }
}

impl Snapshot {
    /// A snapshot with no flags.
    pub fn empty(environment: &str, revision: u64) -> Snapshot {
        Snapshot {
            environment: environment.into(),
            revision,
            index: FxHashMap::default(),
            flags: Vec::new(),
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

    pub(crate) fn flag(&self, index: usize) -> Option<&CompiledFlag> {
        self.flags.get(index)
    }

    pub(crate) fn flags(&self) -> &[CompiledFlag] {
        &self.flags
    }
}

/// Compiles the flags configured in `environment`, with the segments they use.
pub fn compile<'a>(
    environment: &str,
    revision: u64,
    flags: impl IntoIterator<Item = &'a Flag>,
    segments: impl IntoIterator<Item = &'a Segment>,
) -> Compiled {
    let mut warnings = Vec::new();
    let segments: FxHashMap<&str, Arc<CompiledSegment>> = segments
        .into_iter()
        .filter_map(|segment| match compile_segment(segment) {
            Ok(compiled) => Some((segment.key.as_str(), Arc::new(compiled))),
            Err(errors) => {
                warnings.extend(
                    errors
                        .into_iter()
                        .map(|e| prefixed(&format!("segments.{}", segment.key), e)),
                );
                None
            }
        })
        .collect();
    let mut compiled: Vec<CompiledFlag> = flags
        .into_iter()
        .filter_map(|flag| {
            let config = flag.environments.get(environment)?;
            match compile_flag(flag, config, &segments) {
                Ok(compiled) => Some(compiled),
                Err(errors) => {
                    warnings.extend(
                        errors
                            .into_iter()
                            .map(|e| prefixed(&format!("flags.{}", flag.key), e)),
                    );
                    None
                }
            }
        })
        .collect();
    compiled.sort_by(|a, b| a.key.cmp(&b.key));
    compiled.dedup_by(|a, b| a.key == b.key);
    let index = compiled
        .iter()
        .enumerate()
        .map(|(i, f)| (f.key.clone(), i as u32))
        .collect();
    Compiled {
        snapshot: Snapshot {
            environment: environment.into(),
            revision,
            index,
            flags: compiled,
        },
        warnings,
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

fn compile_segment(segment: &Segment) -> Result<CompiledSegment, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut rules = Vec::with_capacity(segment.rules.len());
    for (r, rule) in segment.rules.iter().enumerate() {
        let mut matchers = Vec::with_capacity(rule.conditions.len());
        for (c, condition) in rule.conditions.iter().enumerate() {
            match compile_condition(&format!("rules[{r}].conditions[{c}]"), condition) {
                Ok(matcher) => matchers.push(matcher),
                Err(e) => errors.extend(e),
            }
        }
        rules.push(matchers.into_boxed_slice());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let keys = |list: &[String]| -> (Box<[Box<str>]>, Option<rustc_hash::FxHashSet<Box<str>>>) {
        let boxed: Box<[Box<str>]> = list.iter().map(|k| k.as_str().into()).collect();
        let set = (boxed.len() > 8).then(|| boxed.iter().cloned().collect());
        (boxed, set)
    };
    let (include, include_set) = keys(&segment.include);
    let (exclude, exclude_set) = keys(&segment.exclude);
    Ok(CompiledSegment {
        include,
        include_set,
        exclude,
        exclude_set,
        rules: rules.into(),
    })
}

fn compile_flag(
    flag: &Flag,
    config: &FlagConfig,
    segments: &FxHashMap<&str, Arc<CompiledSegment>>,
) -> Result<CompiledFlag, Vec<FieldError>> {
    let mut errors = Vec::new();
    let variant_index = |name: &str| flag.variants.get_index_of(name).map(|i| i as u16);
    let serve =
        |field: &str, serve: &Serve, errors: &mut Vec<FieldError>| -> Option<CompiledServe> {
            let before = errors.len();
            check_serve(errors, field, flag, serve);
            if errors.len() > before {
                return None;
            }
            match (&serve.variant, &serve.rollout) {
                (Some(variant), _) => variant_index(variant).map(CompiledServe::Variant),
                (_, Some(rollout)) => {
                    let mut end = 0u16;
                    let arms = rollout
                        .iter()
                        .filter_map(|arm| {
                            end = end.saturating_add(arm.weight as u16);
                            Some((variant_index(&arm.variant)?, end))
                        })
                        .collect();
                    Some(CompiledServe::Rollout(arms))
                }
                _ => None,
            }
        };
    let Some(off) = variant_index(&config.off_variant) else {
        return Err(vec![FieldError::new(
            "off_variant",
            format!("unknown variant {:?}", config.off_variant),
        )]);
    };
    let mut rules = Vec::with_capacity(config.rules.len());
    for (r, rule) in config.rules.iter().enumerate() {
        let field = format!("rules[{r}]");
        let segment = match &rule.segment {
            None => None,
            Some(key) => match segments.get(key.as_str()) {
                Some(segment) => Some(Arc::clone(segment)),
                None => {
                    errors.push(FieldError::new(
                        format!("{field}.segment"),
                        format!("unknown segment {key:?}"),
                    ));
                    continue;
                }
            },
        };
        let mut conditions = Vec::with_capacity(rule.conditions.len());
        for (c, condition) in rule.conditions.iter().enumerate() {
            match compile_condition(&format!("{field}.conditions[{c}]"), condition) {
                Ok(matcher) => conditions.push(matcher),
                Err(e) => errors.extend(e),
            }
        }
        if let Some(serve) = serve(&format!("{field}.serve"), &rule.serve, &mut errors) {
            rules.push(CompiledRule {
                segment,
                conditions: conditions.into(),
                serve,
                shadow: rule.serve.shadow,
            });
        }
    }
    let default = serve("default", &config.default, &mut errors);
    let (Some(default), true) = (default, errors.is_empty()) else {
        return Err(errors);
    };
    let stickiness = config
        .stickiness
        .as_deref()
        .filter(|s| *s != DEFAULT_STICKINESS && *s != TARGETING_KEY)
        .map(Into::into);
    Ok(CompiledFlag {
        key: flag.key.as_str().into(),
        variants: flag
            .variants
            .iter()
            .map(|(name, value)| (name.as_str().into(), value.clone()))
            .collect(),
        variant_type: flag.variant_type(),
        enabled: config.enabled,
        off,
        rules: rules.into(),
        default,
        default_shadow: config.default.shadow,
        hasher: SaltedHasher::new(config.salt.as_deref().unwrap_or(&flag.key)),
        stickiness,
    })
}
