//! Compiling one document: a segment into a [`CompiledSegment`], a flag's configuration
//! in one environment into a [`CompiledFlag`]. Errors come back as field errors relative
//! to the document; the caller prefixes them with the document's path.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::condition::{Matcher, Regexes, StrSet, compile_condition_at};
use super::{CompiledFlag, CompiledRule, CompiledSegment, CompiledServe, Source};
use crate::bucket::SaltedHasher;
use crate::context::TARGETING_KEY;
use crate::model::{Condition, DEFAULT_STICKINESS, Flag, FlagConfig, Segment, Serve, TOTAL_WEIGHT};
use crate::validate::flag::{MAX_VARIANTS, check_serve};
use crate::validate::{FieldError, Path};

/// Compiles the conditions of one rule at `path`, adding what does not compile to
/// `errors`.
fn compile_conditions(
    path: Path<'_>,
    conditions: &[Condition],
    regexes: &mut Regexes,
    errors: &mut Vec<FieldError>,
) -> Box<[Matcher]> {
    let mut matchers = Vec::with_capacity(conditions.len());
    for (c, condition) in conditions.iter().enumerate() {
        match compile_condition_at(path.index(c), condition, regexes) {
            Ok(matcher) => matchers.push(matcher),
            Err(e) => errors.extend(e),
        }
    }
    matchers.into_boxed_slice()
}

/// Compiles a segment.
pub(super) fn compile_segment(
    source: Source<'_, Segment>,
    regexes: &mut Regexes,
) -> Result<CompiledSegment, Vec<FieldError>> {
    let segment = source.doc;
    let mut errors = Vec::new();
    let root = Path::root("");
    let rules_path = root.field("rules");
    let mut rules = Vec::with_capacity(segment.rules.len());
    for (r, rule) in segment.rules.iter().enumerate() {
        let rule_path = rules_path.index(r);
        rules.push(compile_conditions(
            rule_path.field("conditions"),
            &rule.conditions,
            regexes,
            &mut errors,
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let keys = |list: &[String]| StrSet::new(list.iter().map(|k| k.as_str().into()).collect());
    Ok(CompiledSegment {
        key: segment.key.as_str().into(),
        version: source.version,
        include: keys(&segment.include),
        exclude: keys(&segment.exclude),
        rules: rules.into(),
    })
}

/// Compiles `config`, the flag's configuration in one environment, against the
/// environment's compiled `segments`.
pub(super) fn compile_flag(
    source: Source<'_, Flag>,
    config: &FlagConfig,
    segments: &FxHashMap<Box<str>, Arc<CompiledSegment>>,
    regexes: &mut Regexes,
) -> Result<CompiledFlag, Vec<FieldError>> {
    let flag = source.doc;
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
        match (&serve.variant, &serve.rollout, serve.total_weight) {
            (Some(variant), _, _) => variant_index(variant).map(CompiledServe::Variant),
            (_, Some(rollout), None | Some(TOTAL_WEIGHT)) => {
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
            (_, Some(rollout), Some(total)) => {
                let mut end = 0u32;
                let arms = rollout
                    .iter()
                    .filter_map(|arm| {
                        end = end.saturating_add(arm.weight);
                        Some((variant_index(&arm.variant)?, end))
                    })
                    .collect();
                Some(CompiledServe::Weighted(total, arms))
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
        let conditions = compile_conditions(
            rule_path.field("conditions"),
            &rule.conditions,
            regexes,
            &mut errors,
        );
        if let Some(serve) = serve(rule_path.field("serve"), &rule.serve, &mut errors) {
            rules.push(CompiledRule {
                segment,
                conditions,
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
        version: source.version,
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
        hasher: SaltedHasher::new(match (&config.salt, config.unsalted) {
            (Some(salt), _) => salt,
            (None, true) => "",
            (None, false) => &flag.key,
        }),
        stickiness,
    })
}
