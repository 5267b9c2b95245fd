//! Rollgate flags of one environment → a flagd flag-definition file: the way back, so
//! that trying Rollgate burns no bridge.
//!
//! Every flag is written as flagd evaluates the same thing for the contexts both read
//! alike (see docs/flagd.md): rules become one `if` chain, segments become shared
//! `$evaluators` referenced with `$ref`, rollouts become `fractional` over the same
//! weights with the bucketing expression that hashes the very string Rollgate hashes.
//! Rollgate's default bucketing is flagd's with a total of 10 000, so cohorts survive
//! the way back too. A flag using something flagd cannot state (regular expressions,
//! time comparisons, a dark launch, nested-looking attribute names, list variants) is
//! left out whole and reported — never written half.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::finding::{Finding, Findings, Path};
use crate::context::TARGETING_KEY;
use crate::model::{Condition, Flag, FlagConfig, Operator, Segment, Serve, TOTAL_WEIGHT};

/// flagd's schema for flag-definition files.
pub const FLAGD_SCHEMA: &str = "https://flagd.dev/schema/v0/flags.json";

/// A flagd file and what could not go into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    /// The flagd flag-definition file.
    pub document: Value,
    /// Why each flag left out was left out (a flag with problems is not written).
    pub problems: Vec<Finding>,
}

/// Writes the flags configured in `environment` as a flagd file; `segments` are those
/// their rules may use.
pub fn export<'a>(
    flags: impl IntoIterator<Item = &'a Flag>,
    segments: impl IntoIterator<Item = &'a Segment>,
    environment: &str,
) -> Exported {
    let segments: BTreeMap<&str, &Segment> =
        segments.into_iter().map(|s| (s.key.as_str(), s)).collect();
    let mut written = Map::new();
    let mut evaluators = Map::new();
    let mut problems = Vec::new();
    for flag in flags {
        let Some(config) = flag.environments.get(environment) else {
            continue;
        };
        let mut findings = Findings::new(Some(&flag.key));
        let mut used = BTreeMap::new();
        let definition = definition(
            flag,
            config,
            environment,
            &segments,
            &mut used,
            &mut findings,
        );
        let (flag_problems, _) = findings.into_parts();
        match definition {
            Some(definition) if flag_problems.is_empty() => {
                written.insert(flag.key.clone(), definition);
                evaluators.extend(used);
            }
            _ => problems.extend(flag_problems),
        }
    }
    let mut document = Map::new();
    document.insert("$schema".to_owned(), Value::from(FLAGD_SCHEMA));
    document.insert("flags".to_owned(), Value::Object(written));
    if !evaluators.is_empty() {
        document.insert("$evaluators".to_owned(), Value::Object(evaluators));
    }
    problems.sort();
    Exported {
        document: Value::Object(document),
        problems,
    }
}

fn definition(
    flag: &Flag,
    config: &FlagConfig,
    environment: &str,
    segments: &BTreeMap<&str, &Segment>,
    used: &mut BTreeMap<String, Value>,
    findings: &mut Findings,
) -> Option<Value> {
    for (name, value) in &flag.variants {
        if value.is_array() {
            findings.problem(
                &Path::new("variants").key(name),
                "flagd's variants are booleans, strings, numbers or objects, not lists",
            );
        }
    }
    let path = Path::new("environments").key(environment);
    let rules_path = path.key("rules");
    let mut branches = Vec::with_capacity(config.rules.len() * 2);
    for (r, rule) in config.rules.iter().enumerate() {
        let rule_path = rules_path.index(r);
        let mut all = Vec::with_capacity(rule.conditions.len() + 1);
        if let Some(key) = &rule.segment {
            match segments.get(key.as_str()) {
                Some(segment) => {
                    if let Some(evaluator) = evaluator(segment, findings) {
                        used.insert(key.clone(), evaluator);
                    }
                    all.push(json!({ "$ref": key }));
                }
                None => findings.problem(
                    &rule_path.key("segment"),
                    format!("unknown segment {key:?}"),
                ),
            }
        }
        let conditions_path = rule_path.key("conditions");
        for (c, condition) in rule.conditions.iter().enumerate() {
            match logic(condition) {
                Ok(test) => all.push(test),
                Err(message) => findings.problem(&conditions_path.index(c), message),
            }
        }
        branches.push(conjunction(all));
        // On a problem, carry on to report the other rules' too; nothing is written.
        let served = outcome(&rule.serve, &rule_path.key("serve"), config, findings);
        branches.push(served.unwrap_or_default());
    }
    let default = outcome(&config.default, &path.key("default"), config, findings)?;
    let (default_variant, otherwise) = match (&config.default.variant, config.enabled) {
        (Some(variant), true) => (variant.as_str(), None),
        (Some(variant), false) if *variant == config.off_variant => (variant.as_str(), None),
        _ => (config.off_variant.as_str(), Some(default)),
    };
    let targeting = match (branches.is_empty(), otherwise) {
        (true, None) => None,
        // A fractional stands on its own; a lone variant needs an `if` to be an object.
        (true, Some(value @ Value::Object(_))) => Some(value),
        (true, Some(value)) => Some(json!({ "if": [true, value] })),
        (false, otherwise) => {
            branches.extend(otherwise);
            Some(json!({ "if": branches }))
        }
    };
    let mut definition = Map::new();
    let state = if config.enabled {
        "ENABLED"
    } else {
        "DISABLED"
    };
    definition.insert("state".to_owned(), Value::from(state));
    definition.insert(
        "variants".to_owned(),
        Value::Object(
            flag.variants
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    );
    definition.insert("defaultVariant".to_owned(), Value::from(default_variant));
    if let Some(targeting) = targeting {
        definition.insert("targeting".to_owned(), targeting);
    }
    Some(Value::Object(definition))
}

/// What a serve chooses, as flagd's targeting states it.
fn outcome(
    serve: &Serve,
    path: &Path,
    config: &FlagConfig,
    findings: &mut Findings,
) -> Option<Value> {
    if serve.shadow {
        findings.problem(path, "a dark launch (`shadow`) has no flagd equivalent");
        return None;
    }
    match (&serve.variant, &serve.rollout) {
        (Some(variant), _) => Some(Value::from(variant.as_str())),
        (None, Some(rollout)) => {
            let total = serve.total_weight.unwrap_or(TOTAL_WEIGHT);
            let percent = total == TOTAL_WEIGHT && rollout.iter().all(|arm| arm.weight % 100 == 0);
            let mut items = Vec::with_capacity(rollout.len() + 1);
            if let Some(bucketing) = bucketing(config, path, findings) {
                items.push(bucketing);
            }
            for arm in rollout {
                let weight = if percent {
                    arm.weight / 100
                } else {
                    arm.weight
                };
                items.push(json!([arm.variant, weight]));
            }
            Some(json!({ "fractional": items }))
        }
        (None, None) => {
            findings.problem(path, "a serve names a variant or a rollout");
            None
        }
    }
}

/// The bucketing expression hashing what Rollgate hashes: `salt ++ unit`. `None` for
/// flagd's own default, `flagKey ++ targetingKey`.
fn bucketing(config: &FlagConfig, path: &Path, findings: &mut Findings) -> Option<Value> {
    let unit = config.stickiness.as_deref().unwrap_or(TARGETING_KEY);
    if let Err(message) = attribute(unit) {
        findings.problem(path, format!("the stickiness attribute: {message}"));
        return None;
    }
    let var = json!({ "var": unit });
    match (&config.salt, config.unsalted) {
        (None, false) if unit == TARGETING_KEY => None,
        (None, false) => Some(json!({ "cat": [{ "var": "$flagd.flagKey" }, var] })),
        (None, true) => Some(var),
        (Some(salt), _) => Some(json!({ "cat": [salt, var] })),
    }
}

/// An attribute name flagd reads as Rollgate does.
fn attribute(name: &str) -> Result<(), String> {
    if name.contains('.') {
        return Err(format!(
            "{name:?} reads a nested attribute in flagd; rename it without a dot"
        ));
    }
    if name.starts_with("$flagd") {
        return Err(format!("{name:?} is flagd's own property"));
    }
    Ok(())
}

/// The AND of `tests` (an empty AND is true, written as an object as flagd's `$ref`
/// substitution needs).
fn conjunction(mut tests: Vec<Value>) -> Value {
    match tests.len() {
        0 => json!({ "!": [false] }),
        1 => tests.remove(0),
        _ => json!({ "and": tests }),
    }
}

/// One condition as JsonLogic.
fn logic(condition: &Condition) -> Result<Value, String> {
    attribute(&condition.attribute)?;
    let var = json!({ "var": condition.attribute });
    let values = &condition.values;
    let any = |tests: Vec<Value>| match tests.len() {
        1 => tests.into_iter().next().unwrap_or(Value::Null),
        _ => json!({ "or": tests }),
    };
    let each = |make: &dyn Fn(&Value) -> Value| any(values.iter().map(make).collect());
    let test = match condition.op {
        Operator::In => json!({ "in": [var, values] }),
        Operator::NotIn => {
            json!({ "and": [{ "!=": [var, null] }, { "!": { "in": [var, values] } }] })
        }
        Operator::StartsWith => each(&|v| json!({ "starts_with": [var, v] })),
        Operator::EndsWith => each(&|v| json!({ "ends_with": [var, v] })),
        Operator::Contains => each(&|v| json!({ "in": [v, var] })),
        Operator::Eq => each(&|v| json!({ "==": [var, v] })),
        Operator::Ne => each(&|v| json!({ "or": [{ "<": [var, v] }, { ">": [var, v] }] })),
        Operator::Lt => each(&|v| json!({ "<": [var, v] })),
        Operator::Lte => each(&|v| json!({ "<=": [var, v] })),
        Operator::Gt => each(&|v| json!({ ">": [var, v] })),
        Operator::Gte => each(&|v| json!({ ">=": [var, v] })),
        Operator::SemverEq => each(&|v| json!({ "sem_ver": [var, "=", v] })),
        Operator::SemverLt => each(&|v| json!({ "sem_ver": [var, "<", v] })),
        Operator::SemverGt => each(&|v| json!({ "sem_ver": [var, ">", v] })),
        Operator::Exists => json!({ "!=": [var, null] }),
        Operator::Matches => {
            return Err("regular expressions (`matches`) have no flagd equivalent".to_owned());
        }
        Operator::Before | Operator::After => {
            return Err(format!(
                "time comparisons (`{}`) have no flagd equivalent",
                condition.op.as_str()
            ));
        }
    };
    Ok(if condition.negate {
        json!({ "!": test })
    } else {
        test
    })
}

/// A segment as a shared evaluator: its targeting key not excluded, and included or
/// matching one of its rules.
fn evaluator(segment: &Segment, findings: &mut Findings) -> Option<Value> {
    let path = Path::new("segments").key(&segment.key);
    let key = json!({ "var": TARGETING_KEY });
    let mut any = Vec::with_capacity(segment.rules.len() + 1);
    if !segment.include.is_empty() {
        any.push(json!({ "in": [key, segment.include] }));
    }
    let before = findings.problem_count();
    for (r, rule) in segment.rules.iter().enumerate() {
        let mut all = Vec::with_capacity(rule.conditions.len());
        for (c, condition) in rule.conditions.iter().enumerate() {
            match logic(condition) {
                Ok(test) => all.push(test),
                Err(message) => findings.problem(
                    &path.key("rules").index(r).key("conditions").index(c),
                    message,
                ),
            }
        }
        any.push(conjunction(all));
    }
    if findings.problem_count() > before {
        return None;
    }
    let body = match any.len() {
        0 => json!({ "in": [key, []] }),
        1 => any.remove(0),
        _ => json!({ "or": any }),
    };
    Some(if segment.exclude.is_empty() {
        body
    } else {
        json!({ "and": [{ "!": { "in": [key, segment.exclude] } }, body] })
    })
}
