//! flagd's `fractional` as a Rollgate rollout that puts every user in the same cohort.
//!
//! flagd (since the "high-precision" `fractional`, flagd-testbed's `@fractional-v2`)
//! hashes the *bucketing value* with MurmurHash3 x86 32-bit, seed 0, and maps the hash
//! `h` onto the sum `T` of the integer weights: `bucket = (h × T) >> 32`; the first arm
//! whose cumulative weight exceeds the bucket wins. The bucketing value is the string
//! the first argument evaluates to, or, when the first argument is already an arm,
//! `flagKey ++ targetingKey` — no separator.
//!
//! Rollgate hashes `salt ++ unit` the same way and maps onto 10 000 basis points:
//! `(h × 10 000) >> 32`. The two agree for every `h` exactly when each arm's weight
//! scaled to 10 000 is whole (`w × 10 000 / T`), since `(h × T) >> 32 < C` is
//! `h < C × 2³² / T`. Such splits (50/50, 25×4, 10/90…) become ordinary rollouts;
//! others (thirds) keep their weights with `total_weight` = `T`, which makes Rollgate
//! map onto `T` as flagd does. The bucketing value becomes salt and stickiness:
//!
//! | flagd bucketing                                  | Rollgate                          |
//! |--------------------------------------------------|-----------------------------------|
//! | (none)                                           | salt = flag key, `targetingKey`   |
//! | `{"var": "email"}`                               | `unsalted`, stickiness `email`    |
//! | `{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}` | salt = flag key, `email` |
//! | `{"cat": ["seed", {"var": "email"}]}`            | salt `seed`, stickiness `email`   |
//!
//! Negative weights count as 0 (as flagd clamps them), a missing weight as 1; a split
//! with all its weight on one variant serves that variant to everyone, and one with no
//! weight at all serves `defaultVariant` (flagd's answer for both).

use serde_json::Value;

use super::document::kind;
use super::finding::Path;
use super::logic::{Operand, Outcome, Translator, arguments};
use crate::bucket::murmur3_x86_32;
use crate::context::TARGETING_KEY;
use crate::model::{
    MAX_TOTAL_WEIGHT as MAX_TOTAL_WEIGHT_U32, Serve, TOTAL_WEIGHT, WeightedVariant,
};

/// Largest sum of weights flagd accepts (`i32::MAX`).
const MAX_TOTAL_WEIGHT: u64 = MAX_TOTAL_WEIGHT_U32 as u64;

/// A split over variants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Split {
    /// What is hashed.
    pub(super) bucketing: Bucketing,
    /// Arms in order, each with a positive weight, no variant twice.
    pub(super) arms: Vec<(String, u32)>,
    /// The sum of the file's weights (zero-weight arms left out of `arms`).
    pub(super) total: u32,
}

/// The hashed input: `prefix ++ the value of attribute unit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Bucketing {
    /// `None`: the flag key.
    pub(super) prefix: Option<String>,
    /// The context attribute whose value completes it.
    pub(super) unit: String,
}

/// The first argument of `fractional`, when it is not an arm.
enum Input {
    /// flagd's default: `flagKey ++ targetingKey`.
    Default,
    /// A prefix and an attribute.
    Attribute(Bucketing),
    /// The same text for everyone.
    Constant(String),
}

/// Translates `fractional` with `argument` as its argument.
pub(super) fn translate<'a>(
    t: &mut Translator<'a>,
    argument: &'a Value,
    path: &Path,
) -> Option<Outcome> {
    let items = arguments(argument);
    let Some(first) = items.first() else {
        return t.problem(path, "`fractional` needs at least one variant");
    };
    let (input, arms_from) = match first {
        Value::Array(_) => (Some(Input::Default), 0),
        Value::Null => (Some(Input::Default), 1),
        expression => (bucketing(t, expression, &path.index(0)), 1),
    };
    if arms_from == items.len() {
        return t.problem(
            path,
            "`fractional` needs at least one variant after the bucketing value",
        );
    }
    let mut arms: Vec<(String, u64)> = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, arm) in items.iter().enumerate().skip(arms_from) {
        match self::arm(t, arm, &path.index(i)) {
            Some(arm) => arms.push(arm),
            None => complete = false,
        }
    }
    let (input, true) = (input?, complete) else {
        return None;
    };
    let total = arms
        .iter()
        .fold(0u64, |sum, (_, weight)| sum.saturating_add(*weight));
    if total > MAX_TOTAL_WEIGHT {
        return t.problem(
            path,
            format!("the weights sum to {total}; flagd allows at most {MAX_TOTAL_WEIGHT}"),
        );
    }
    if total == 0 {
        return Some(Outcome::Default);
    }
    let bucketing = match input {
        Input::Constant(text) => {
            let bucket = bucket(murmur3_x86_32(text.as_bytes(), 0), total);
            return Some(Outcome::Variant(pick(&arms, bucket)));
        }
        Input::Default => Bucketing {
            prefix: None,
            unit: TARGETING_KEY.to_owned(),
        },
        Input::Attribute(bucketing) if bucketing.prefix.as_deref() == Some(t.flag_key()) => {
            Bucketing {
                prefix: None,
                ..bucketing
            }
        }
        Input::Attribute(bucketing) => bucketing,
    };
    // Empty arms hold no bucket; neighbouring arms of one variant are one range.
    let mut merged: Vec<(String, u32)> = Vec::with_capacity(arms.len());
    for (variant, weight) in arms.into_iter().filter(|(_, weight)| *weight > 0) {
        // The total fits in `u32`, so does each weight.
        let weight = u32::try_from(weight).unwrap_or(u32::MAX);
        if let Some((last, sum)) = merged.last_mut()
            && *last == variant
        {
            *sum += weight;
        } else if merged.iter().any(|(seen, _)| *seen == variant) {
            return t.problem(
                path,
                format!("variant {variant:?} has two separate ranges; Rollgate gives a variant one range"),
            );
        } else {
            merged.push((variant, weight));
        }
    }
    if let [(only, _)] = merged.as_slice() {
        return Some(Outcome::Variant(only.clone()));
    }
    Some(Outcome::Split(Split {
        bucketing,
        arms: merged,
        total: u32::try_from(total).unwrap_or(u32::MAX),
    }))
}

/// flagd's bucket of hash `h` among `total` weights.
fn bucket(hash: u32, total: u64) -> u64 {
    (u64::from(hash) * total) >> 32
}

/// The arm whose cumulative range holds `bucket`.
fn pick(arms: &[(String, u64)], bucket: u64) -> String {
    let mut end = 0u64;
    for (variant, weight) in arms {
        end = end.saturating_add(*weight);
        if bucket < end {
            return variant.clone();
        }
    }
    arms.last()
        .map(|(variant, _)| variant.clone())
        .unwrap_or_default()
}

fn bucketing<'a>(t: &mut Translator<'a>, expression: &'a Value, path: &Path) -> Option<Input> {
    if let Value::String(text) = expression {
        return Some(Input::Constant(text.clone()));
    }
    let unsupported =
        "the bucketing value must be a `var`, or a `cat` of literals ending in one `var`";
    let (op, argument) = t.operation(expression, path)?;
    match op {
        "var" => match t.operand(expression, path)? {
            Operand::Attribute(unit) => Some(Input::Attribute(Bucketing {
                prefix: Some(String::new()),
                unit,
            })),
            Operand::Constant(Value::String(text)) => Some(Input::Constant(text)),
            Operand::Constant(_) => t.problem(path, unsupported),
        },
        "cat" => {
            let at = path.key("cat");
            let parts = arguments(argument);
            let mut prefix = String::new();
            let mut unit = None;
            for (i, part) in parts.iter().enumerate() {
                let part_path = at.index(i);
                match t.operand(part, &part_path)? {
                    Operand::Attribute(_) if unit.is_some() => {
                        return t.problem(&part_path, format!("{unsupported}: a second `var`"));
                    }
                    Operand::Attribute(attribute) => unit = Some(attribute),
                    Operand::Constant(_) if unit.is_some() => {
                        return t.problem(
                            &part_path,
                            format!("{unsupported}: text after the `var` cannot be expressed"),
                        );
                    }
                    Operand::Constant(Value::String(text)) => prefix.push_str(&text),
                    Operand::Constant(other) => {
                        return t
                            .problem(&part_path, format!("{unsupported}: got {}", kind(&other)));
                    }
                }
            }
            Some(match unit {
                Some(unit) => Input::Attribute(Bucketing {
                    prefix: Some(prefix),
                    unit,
                }),
                None => Input::Constant(prefix),
            })
        }
        _ => t.problem(path, unsupported),
    }
}

/// One arm: `[variant]` (weight 1) or `[variant, weight]`.
fn arm<'a>(t: &mut Translator<'a>, arm: &'a Value, path: &Path) -> Option<(String, u64)> {
    let Value::Array(parts) = arm else {
        return t.problem(
            path,
            format!(
                "an arm of `fractional` is [variant, weight], got {}",
                kind(arm)
            ),
        );
    };
    let name = match parts.first() {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Bool(flag)) => flag.to_string(),
        Some(_) => {
            return t.problem(
                &path.index(0),
                "a variant name in `fractional` is a string; computed variants are not supported",
            );
        }
        None => return t.problem(path, "an arm of `fractional` names a variant"),
    };
    let weight = match parts.get(1) {
        None | Some(Value::Null) => 1,
        // Negative weights count as 0, as flagd clamps them.
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(weight), _, _) => weight,
            (None, Some(_), _) => 0,
            (_, _, Some(w)) if w.fract() == 0.0 => w.clamp(0.0, u64::MAX as f64) as u64,
            _ => {
                return t.problem(
                    &path.index(1),
                    format!("weights are whole numbers, got {n}"),
                );
            }
        },
        Some(_) => {
            return t.problem(
                &path.index(1),
                "a weight in `fractional` is a number; computed weights are not supported",
            );
        }
    };
    if parts.len() > 2 {
        return t.problem(path, "an arm of `fractional` is [variant, weight]");
    }
    let name = t.variant(&name, &path.index(0))?;
    Some((name, weight))
}

/// The Rollgate serve of `split`: basis points when they are exact, flagd's weights
/// with `total_weight` otherwise.
pub(super) fn serve(split: &Split) -> Serve {
    let total = u64::from(split.total);
    let scale = u64::from(TOTAL_WEIGHT);
    let exact = split
        .arms
        .iter()
        .all(|(_, weight)| (u64::from(*weight) * scale) % total == 0);
    let weight = |weight: u32| {
        if exact {
            u32::try_from(u64::from(weight) * scale / total).unwrap_or(u32::MAX)
        } else {
            weight
        }
    };
    Serve {
        rollout: Some(
            split
                .arms
                .iter()
                .map(|(variant, w)| WeightedVariant {
                    variant: variant.clone(),
                    weight: weight(*w),
                })
                .collect(),
        ),
        total_weight: (!exact).then_some(split.total),
        ..Serve::default()
    }
}
