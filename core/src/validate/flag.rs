//! Validation of flag documents.

use super::{
    Catalog, FieldError, Lines, MAX_DESCRIPTION, Path, check_text, count_field, key_field,
    text_field, unique_field, validate_condition,
};
use crate::model::{
    Flag, FlagConfig, MAX_TOTAL_WEIGHT, Serve, TOTAL_WEIGHT, VariantType, WeightedVariant,
};

/// Most variants a flag may have.
pub const MAX_VARIANTS: usize = 100;
/// Most rules in one environment's configuration.
pub const MAX_RULES: usize = 500;
/// Most conditions in one rule.
pub const MAX_CONDITIONS: usize = 50;
/// Most tags on a flag.
pub const MAX_TAGS: usize = 50;

/// Checks a flag against the model's rules and the other documents it names.
pub fn validate_flag(flag: &Flag, catalog: &Catalog) -> Vec<FieldError> {
    let mut errors = Vec::new();
    key_field(&mut errors, "key", &flag.key);
    text_field(
        &mut errors,
        "description",
        &flag.description,
        MAX_DESCRIPTION,
        Lines::Many,
    );
    check_variants(&mut errors, flag);
    if count_field(&mut errors, "tags", &flag.tags, MAX_TAGS) {
        for (index, tag) in flag.tags.iter().enumerate() {
            if tag.is_empty() || tag.len() > 64 {
                errors.push(FieldError::new(
                    format!("tags[{index}]"),
                    "must be 1 to 64 bytes",
                ));
            } else if let Err(message) = check_text(tag, Lines::One) {
                errors.push(FieldError::new(format!("tags[{index}]"), message));
            }
        }
        unique_field(&mut errors, "tags", flag.tags.iter().map(String::as_str));
    }
    for (environment, config) in &flag.environments {
        let field = format!("environments.{environment}");
        if !catalog.environments.contains(environment) {
            errors.push(FieldError::new(
                field.clone(),
                format!("unknown environment {environment:?}"),
            ));
        }
        check_config(&mut errors, &field, flag, config, catalog);
    }
    errors
}

fn check_variants(errors: &mut Vec<FieldError>, flag: &Flag) {
    if flag.variants.is_empty() {
        errors.push(FieldError::new(
            "variants",
            "a flag needs at least one variant",
        ));
        return;
    }
    if flag.variants.len() > MAX_VARIANTS {
        errors.push(FieldError::new(
            "variants",
            format!(
                "must have at most {MAX_VARIANTS} variants, got {}",
                flag.variants.len()
            ),
        ));
    }
    let mut first: Option<(&str, VariantType)> = None;
    for (name, value) in &flag.variants {
        let field = format!("variants.{name}");
        key_field(errors, &field, name);
        let Some(kind) = VariantType::of(value) else {
            errors.push(FieldError::new(field, "a variant's value cannot be null"));
            continue;
        };
        match first {
            None => first = Some((name, kind)),
            Some((first_name, first_kind)) if first_kind != kind => errors.push(FieldError::new(
                field,
                format!(
                    "mixed variant types: {name:?} is {} but {first_name:?} is {}; all variants of a flag share one type",
                    kind.as_str(),
                    first_kind.as_str()
                ),
            )),
            Some(_) => {}
        }
    }
}

fn check_config(
    errors: &mut Vec<FieldError>,
    field: &str,
    flag: &Flag,
    config: &FlagConfig,
    catalog: &Catalog,
) {
    let path = Path::root(field);
    check_variant_name(errors, path.field("off_variant"), flag, &config.off_variant);
    if count_field(errors, &format!("{field}.rules"), &config.rules, MAX_RULES) {
        for (index, rule) in config.rules.iter().enumerate() {
            let rule_field = format!("{field}.rules[{index}]");
            if let Some(segment) = &rule.segment
                && !catalog.segments.contains(segment)
            {
                errors.push(FieldError::new(
                    format!("{rule_field}.segment"),
                    format!("unknown segment {segment:?}"),
                ));
            }
            if count_field(
                errors,
                &format!("{rule_field}.conditions"),
                &rule.conditions,
                MAX_CONDITIONS,
            ) {
                for (c, condition) in rule.conditions.iter().enumerate() {
                    errors.extend(validate_condition(
                        &format!("{rule_field}.conditions[{c}]"),
                        condition,
                    ));
                }
            }
            check_serve(
                errors,
                Path::root(&rule_field).field("serve"),
                flag,
                &rule.serve,
            );
        }
    }
    check_serve(errors, path.field("default"), flag, &config.default);
    if let Some(salt) = &config.salt
        && (salt.is_empty() || salt.len() > 256)
    {
        errors.push(FieldError::new(
            format!("{field}.salt"),
            "must be 1 to 256 bytes (leave it out to use the flag key)",
        ));
    }
    if config.unsalted && config.salt.is_some() {
        errors.push(FieldError::new(
            format!("{field}.unsalted"),
            "give `salt` or `unsalted`, not both",
        ));
    }
    if let Some(stickiness) = &config.stickiness
        && (stickiness.is_empty() || stickiness.len() > 256)
    {
        errors.push(FieldError::new(
            format!("{field}.stickiness"),
            "must name a context attribute of 1 to 256 bytes (leave it out for targetingKey)",
        ));
    }
}

/// Checks one serve: exactly one of `variant` and `rollout`, known variants, weights
/// that sum to 10 000 basis points (or to `total_weight`). Nothing is formatted unless
/// something is wrong.
pub(crate) fn check_serve(
    errors: &mut Vec<FieldError>,
    path: Path<'_>,
    flag: &Flag,
    serve: &Serve,
) {
    match (&serve.variant, &serve.rollout) {
        (Some(variant), None) => {
            check_variant_name(errors, path.field("variant"), flag, variant);
            if serve.total_weight.is_some() {
                errors.push(
                    path.field("total_weight")
                        .error("only a `rollout` has a total weight"),
                );
            }
        }
        (None, Some(rollout)) => check_rollout(errors, path, flag, rollout, serve.total_weight),
        (Some(_), Some(_)) => {
            errors.push(path.error("give either `variant` or `rollout`, not both"))
        }
        (None, None) => errors.push(path.error("give one of `variant` or `rollout`")),
    }
}

fn check_rollout(
    errors: &mut Vec<FieldError>,
    serve_path: Path<'_>,
    flag: &Flag,
    rollout: &[WeightedVariant],
    total_weight: Option<u32>,
) {
    let path = serve_path.field("rollout");
    if rollout.is_empty() {
        errors.push(path.error("a rollout needs at least one variant"));
        return;
    }
    // More arms than a flag may have variants means repeats or unknown names;
    // stopping here also bounds the duplicate check below.
    if rollout.len() > MAX_VARIANTS {
        errors.push(path.error(format!(
            "must have at most {MAX_VARIANTS} arms, got {}",
            rollout.len()
        )));
        return;
    }
    let expected = match total_weight {
        Some(total) if total == 0 || total > MAX_TOTAL_WEIGHT => {
            errors.push(serve_path.field("total_weight").error(format!(
                "must be between 1 and {MAX_TOTAL_WEIGHT}, got {total}"
            )));
            return;
        }
        Some(total) => total,
        None => TOTAL_WEIGHT,
    };
    let mut total: u64 = 0;
    for (index, arm) in rollout.iter().enumerate() {
        let arm_path = path.index(index);
        check_variant_name(errors, arm_path.field("variant"), flag, &arm.variant);
        if rollout[..index]
            .iter()
            .any(|earlier| earlier.variant == arm.variant)
        {
            errors.push(
                arm_path
                    .field("variant")
                    .error(format!("duplicate variant {:?} in rollout", arm.variant)),
            );
        }
        if arm.weight > expected {
            let unit = if total_weight.is_none() {
                " basis points"
            } else {
                " (the total weight)"
            };
            errors.push(arm_path.field("weight").error(format!(
                "must be between 0 and {expected}{unit}, got {}",
                arm.weight
            )));
        }
        total += u64::from(arm.weight);
    }
    if total != u64::from(expected) {
        errors.push(path.error(if total_weight.is_none() {
            format!(
                "weights must sum to {TOTAL_WEIGHT} basis points (100 %), got {total} ({}.{:02} %)",
                total / 100,
                total % 100
            )
        } else {
            format!("weights must sum to the total weight {expected}, got {total}")
        }));
    }
}

fn check_variant_name(errors: &mut Vec<FieldError>, path: Path<'_>, flag: &Flag, variant: &str) {
    if !flag.variants.contains_key(variant) {
        let known: Vec<&str> = flag.variants.keys().map(String::as_str).collect();
        errors.push(path.error(format!(
            "unknown variant {variant:?}; the flag's variants are {known:?}"
        )));
    }
}
