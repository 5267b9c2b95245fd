//! Compilation: an environment's flags and segments become one immutable [`Snapshot`]
//! built for evaluation — segments resolved and shared, conditions compiled, salts
//! pre-hashed, variants addressed by index.
//!
//! Compilation never fails as a whole: a document that does not compile is left out
//! and reported as a warning, so one bad flag cannot take the others down.

mod condition;
mod number;

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::Value;

pub use condition::{MAX_REGEX_BYTES, MAX_VALUES, Matcher, compile_condition};
use condition::{Regexes, StrSet, compile_condition_at};

use crate::bucket::SaltedHasher;
use crate::context::{Context, TARGETING_KEY};
use crate::model::{DEFAULT_STICKINESS, Flag, FlagConfig, Segment, Serve, VariantType};
use crate::validate::flag::{MAX_VARIANTS, check_serve};
use crate::validate::{FieldError, Path};

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
    let mut regexes = Regexes::default();
    let segments: FxHashMap<&str, Arc<CompiledSegment>> = segments
        .into_iter()
        .filter_map(|segment| match compile_segment(segment, &mut regexes) {
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
            match compile_flag(flag, config, &segments, &mut regexes) {
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

fn compile_segment(
    segment: &Segment,
    regexes: &mut Regexes,
) -> Result<CompiledSegment, Vec<FieldError>> {
    let mut errors = Vec::new();
    let root = Path::root("");
    let rules_path = root.field("rules");
    let mut rules = Vec::with_capacity(segment.rules.len());
    for (r, rule) in segment.rules.iter().enumerate() {
        let rule_path = rules_path.index(r);
        let conditions_path = rule_path.field("conditions");
        let mut matchers = Vec::with_capacity(rule.conditions.len());
        for (c, condition) in rule.conditions.iter().enumerate() {
            match compile_condition_at(conditions_path.index(c), condition, regexes) {
                Ok(matcher) => matchers.push(matcher),
                Err(e) => errors.extend(e),
            }
        }
        rules.push(matchers.into_boxed_slice());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let keys = |list: &[String]| StrSet::new(list.iter().map(|k| k.as_str().into()).collect());
    Ok(CompiledSegment {
        include: keys(&segment.include),
        exclude: keys(&segment.exclude),
        rules: rules.into(),
    })
}

fn compile_flag(
    flag: &Flag,
    config: &FlagConfig,
    segments: &FxHashMap<&str, Arc<CompiledSegment>>,
    regexes: &mut Regexes,
) -> Result<CompiledFlag, Vec<FieldError>> {
    let root = Path::root("");
    // Variants are addressed by `u16` from here on; validation allows far fewer.
    if flag.variants.len() > MAX_VARIANTS {
        return Err(vec![root.field("variants").error(format!(
            "must have at most {MAX_VARIANTS} variants, got {}",
            flag.variants.len()
        ))]);
    }
    let mut errors = Vec::new();
    let variant_index = |name: &str| flag.variants.get_index_of(name).map(|i| i as u16);
    let serve = |path: Path<'_>, serve: &Serve, errors: &mut Vec<FieldError>| {
        let before = errors.len();
        check_serve(errors, path, flag, serve);
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
        return Err(vec![
            root.field("off_variant")
                .error(format!("unknown variant {:?}", config.off_variant)),
        ]);
    };
    let rules_path = root.field("rules");
    let mut rules = Vec::with_capacity(config.rules.len());
    for (r, rule) in config.rules.iter().enumerate() {
        let rule_path = rules_path.index(r);
        let segment = match &rule.segment {
            None => None,
            Some(key) => match segments.get(key.as_str()) {
                Some(segment) => Some(Arc::clone(segment)),
                None => {
                    errors.push(
                        rule_path
                            .field("segment")
                            .error(format!("unknown segment {key:?}")),
                    );
                    continue;
                }
            },
        };
        let conditions_path = rule_path.field("conditions");
        let mut conditions = Vec::with_capacity(rule.conditions.len());
        for (c, condition) in rule.conditions.iter().enumerate() {
            match compile_condition_at(conditions_path.index(c), condition, regexes) {
                Ok(matcher) => conditions.push(matcher),
                Err(e) => errors.extend(e),
            }
        }
        if let Some(serve) = serve(rule_path.field("serve"), &rule.serve, &mut errors) {
            rules.push(CompiledRule {
                segment,
                conditions: conditions.into(),
                serve,
                shadow: rule.serve.shadow,
            });
        }
    }
    let default = serve(root.field("default"), &config.default, &mut errors);
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
