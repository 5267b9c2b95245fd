//! A flag's translated targeting laid out as Rollgate's ordered rules.
//!
//! The `if` tree is flattened into a decision list: each leaf becomes an entry guarded
//! by the conditions on its way down (`if [a, if [b, x, y], z]` gives `a ∧ b → x`,
//! `a → y`, `→ z`); since rules are tried in order, an else branch needs no negated
//! guard. Each guard is brought into normal form, one rule per AND; the last entry,
//! guarded by nothing, is the default serve. Trailing rules that serve what the default
//! serves are dropped.
//!
//! A split needs its bucketing attribute. Where flagd finds none (no `targetingKey`, or
//! a missing explicit attribute) `fractional` yields null and the flag serves its
//! `defaultVariant`, so each split is preceded by a rule serving `defaultVariant` to
//! contexts without that attribute — instead of Rollgate's `TARGETING_KEY_MISSING`.

use std::rc::Rc;

use super::dnf::{Literal, SegmentUse, Test, TooLarge, normal_form};
use super::finding::{Findings, Path};
use super::fractional::{self, Bucketing};
use super::logic::{Outcome, Targeting};
use crate::context::TARGETING_KEY;
use crate::model::{Condition, FlagConfig, Operator, Rule, Serve};
use crate::validate::flag::{MAX_CONDITIONS, MAX_RULES};

/// Longest salt a flag may have (bytes).
const MAX_SALT_BYTES: usize = 256;

/// A flag's configuration in the imported environment, and the segments its rules use.
pub(super) struct Laid {
    pub(super) config: FlagConfig,
    pub(super) segments: Vec<Rc<SegmentUse>>,
}

/// Lays out `targeting` (none: serve `default_variant`).
pub(super) fn lay_out(
    targeting: Option<Targeting>,
    enabled: bool,
    default_variant: &str,
    findings: &mut Findings,
) -> Option<Laid> {
    let mut entries = Vec::new();
    match targeting {
        Some(targeting) => flatten(targeting, Test::Always(true), &mut entries),
        None => entries.push((Test::Always(true), Outcome::Default, Path::default())),
    }
    let (_, last, last_path) = entries.pop()?;
    let bucketing = bucketing(&entries, &last, &last_path, findings)?;
    let serve = |outcome: &Outcome| match outcome {
        Outcome::Variant(variant) => Serve::variant(variant.clone()),
        Outcome::Default => Serve::variant(default_variant),
        Outcome::Split(split) => fractional::serve(split),
    };
    let missing_unit = |unit: &str| {
        Test::Condition(Condition {
            attribute: unit.to_owned(),
            op: Operator::Exists,
            values: Vec::new(),
            negate: true,
        })
    };
    let mut rules = Vec::new();
    let mut segments = Vec::new();
    let mut complete = true;
    for (guard, outcome, path) in &entries {
        if let Outcome::Split(split) = outcome {
            let unguarded = Test::All(vec![guard.clone(), missing_unit(&split.bucketing.unit)]);
            complete &= add_rules(
                &unguarded,
                Serve::variant(default_variant),
                path,
                &mut rules,
                &mut segments,
                findings,
            );
        }
        complete &= add_rules(
            guard,
            serve(outcome),
            path,
            &mut rules,
            &mut segments,
            findings,
        );
    }
    if let Outcome::Split(split) = &last {
        let unguarded = missing_unit(&split.bucketing.unit);
        complete &= add_rules(
            &unguarded,
            Serve::variant(default_variant),
            &last_path,
            &mut rules,
            &mut segments,
            findings,
        );
    }
    let default = serve(&last);
    while rules
        .last()
        .is_some_and(|rule: &Rule| rule.serve == default)
    {
        rules.pop();
    }
    if rules.len() > MAX_RULES {
        findings.problem(
            &Path::default(),
            format!(
                "the targeting becomes {} rules; a flag has at most {MAX_RULES}",
                rules.len()
            ),
        );
        return None;
    }
    let (salt, unsalted, stickiness) = match bucketing {
        None => (None, false, None),
        Some((bucketing, path)) => {
            let stickiness = (bucketing.unit != TARGETING_KEY).then_some(bucketing.unit);
            match bucketing.prefix {
                None => (None, false, stickiness),
                Some(prefix) if prefix.is_empty() => (None, true, stickiness),
                Some(prefix) if prefix.len() > MAX_SALT_BYTES => {
                    findings.problem(
                        &path,
                        format!("the bucketing prefix is {} bytes; Rollgate salts are at most {MAX_SALT_BYTES}", prefix.len()),
                    );
                    return None;
                }
                Some(prefix) => (Some(prefix), false, stickiness),
            }
        }
    };
    complete.then_some(Laid {
        config: FlagConfig {
            enabled,
            off_variant: default_variant.to_owned(),
            rules,
            default,
            salt,
            unsalted,
            stickiness,
        },
        segments,
    })
}

type Entry = (Test, Outcome, Path);

fn flatten(targeting: Targeting, guard: Test, entries: &mut Vec<Entry>) {
    match targeting {
        Targeting::Serve(outcome, path) => entries.push((guard, outcome, path)),
        Targeting::If(branches, otherwise) => {
            for (test, then) in branches {
                flatten(then, Test::All(vec![guard.clone(), test]), entries);
            }
            flatten(*otherwise, guard, entries);
        }
    }
}

/// The bucketing all of the flag's splits share (Rollgate buckets a flag one way).
fn bucketing(
    entries: &[Entry],
    last: &Outcome,
    last_path: &Path,
    findings: &mut Findings,
) -> Option<Option<(Bucketing, Path)>> {
    let splits = entries
        .iter()
        .map(|(_, outcome, path)| (outcome, path))
        .chain([(last, last_path)])
        .filter_map(|(outcome, path)| match outcome {
            Outcome::Split(split) => Some((&split.bucketing, path)),
            _ => None,
        });
    let mut first: Option<(Bucketing, Path)> = None;
    let mut agree = true;
    for (bucketing, path) in splits {
        match &first {
            None => first = Some((bucketing.clone(), path.clone())),
            Some((chosen, _)) if chosen == bucketing => {}
            Some((_, chosen_path)) => {
                findings.problem(
                    path,
                    format!(
                        "buckets differently from the `fractional` at {}; Rollgate buckets all of a flag's splits by one attribute and salt",
                        chosen_path.as_str()
                    ),
                );
                agree = false;
            }
        }
    }
    agree.then_some(first)
}

/// Adds one rule per AND of `guard`'s normal form, all serving `serve`.
fn add_rules(
    guard: &Test,
    serve: Serve,
    path: &Path,
    rules: &mut Vec<Rule>,
    segments: &mut Vec<Rc<SegmentUse>>,
    findings: &mut Findings,
) -> bool {
    let ands = match normal_form(guard, false) {
        Ok(ands) => ands,
        Err(TooLarge) => {
            findings.problem(
                path,
                format!("the conditions leading here expand into more than {MAX_RULES} rules"),
            );
            return false;
        }
    };
    for and in ands {
        let mut rule = Rule {
            segment: None,
            conditions: Vec::with_capacity(and.len()),
            serve: serve.clone(),
        };
        for literal in and {
            match literal {
                Literal::Condition(condition) => rule.conditions.push(condition),
                Literal::Segment(used) => {
                    rule.segment = Some(used.key.clone());
                    if !segments.iter().any(|seen| seen.key == used.key) {
                        segments.push(used);
                    }
                }
            }
        }
        if rule.conditions.len() > MAX_CONDITIONS {
            findings.problem(
                path,
                format!(
                    "the conditions leading here need {} conditions in one rule; a rule has at most {MAX_CONDITIONS}",
                    rule.conditions.len()
                ),
            );
            return false;
        }
        rules.push(rule);
        if rules.len() > MAX_RULES {
            findings.problem(
                path,
                format!("the targeting becomes more than {MAX_RULES} rules"),
            );
            return false;
        }
    }
    true
}
