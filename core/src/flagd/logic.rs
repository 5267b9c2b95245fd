//! flagd's targeting (JsonLogic) read into what Rollgate can express: a tree of `if`
//! branches whose conditions are [`Test`]s and whose leaves are [`Outcome`]s.
//!
//! Only the JsonLogic that selects variants is understood: `if` chains ending in
//! variant names, `null` (flagd's `defaultVariant`) or `fractional`; conditions built
//! from comparisons of one context attribute with literals, `and`, `or`, `!` and `$ref`
//! to shared evaluators. Anything else is a problem reported at its path — and the
//! walk carries on, so that one run names every problem of a file. Nesting is bounded
//! ([`MAX_DEPTH`]), `$ref`s are resolved with cycles detected.

use std::rc::Rc;

use serde_json::{Map, Value};

use super::compare;
use super::dnf::{SegmentUse, Test};
use super::document::{kind, variant_names};
use super::finding::{Findings, Path};
use super::fractional::{self, Split};
use super::semver;
use crate::key::check_key;
use crate::model::builtin_segment;

/// Deepest nesting of operations followed.
pub const MAX_DEPTH: usize = 64;
/// Most operations read in one file, `$ref`s resolved where they are used.
pub const MAX_OPERATIONS: usize = 1_000_000;

/// JsonLogic operators that exist but choose nothing Rollgate can state.
const UNSUPPORTED: &[&str] = &[
    "?:",
    "log",
    "+",
    "-",
    "*",
    "/",
    "%",
    "min",
    "max",
    "cat",
    "substr",
    "merge",
    "map",
    "filter",
    "reduce",
    "all",
    "none",
    "some",
    "missing",
    "missing_some",
    "method",
];

/// Why the deprecated form of `fractional` is refused.
const LEGACY_FRACTIONAL: &str = "the legacy `fractionalEvaluation` (deprecated in flagd) is not supported; flagd's own migration is to `fractional`";

/// What a branch of targeting serves.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Outcome {
    /// A variant by name.
    Variant(String),
    /// `null`: flagd's `defaultVariant`.
    Default,
    /// A `fractional` split.
    Split(Split),
}

/// Targeting as a tree: either a served outcome or `if` branches with a final else.
#[derive(Debug)]
pub(super) enum Targeting {
    /// Serves this outcome; `path` is where it was written.
    Serve(Outcome, Path),
    /// Condition → targeting pairs, tried in order, then the else.
    If(Vec<(Test, Targeting)>, Box<Targeting>),
}

/// A value compared by a condition.
#[derive(Clone, Debug)]
pub(super) enum Operand {
    /// A top-level context attribute.
    Attribute(String),
    /// A literal (or `$flagd.flagKey`, which is one for a given flag).
    Constant(Value),
}

/// Reads one flag's targeting, recording problems in `findings`.
pub(super) struct Translator<'a> {
    flag_key: &'a str,
    variants: &'a [(String, Value)],
    evaluators: &'a Map<String, Value>,
    pub(super) findings: &'a mut Findings,
    /// Evaluators being resolved, outermost first: one met again is a cycle.
    resolving: Vec<&'a str>,
    depth: usize,
    /// Times `$flagd.flagKey` was read: an evaluator that reads it is its flag's own.
    flag_key_reads: usize,
    /// Operations the file may still take to read (shared by its flags): evaluators
    /// that use each other twice over grow exponentially once resolved.
    budget: &'a mut usize,
}

impl<'a> Translator<'a> {
    pub(super) fn new(
        flag_key: &'a str,
        variants: &'a [(String, Value)],
        evaluators: &'a Map<String, Value>,
        budget: &'a mut usize,
        findings: &'a mut Findings,
    ) -> Translator<'a> {
        Translator {
            flag_key,
            variants,
            evaluators,
            findings,
            resolving: Vec::new(),
            depth: 0,
            flag_key_reads: 0,
            budget,
        }
    }

    /// The flag being read.
    pub(super) fn flag_key(&self) -> &'a str {
        self.flag_key
    }

    /// Records a problem at `path`; always `None`, for `return t.problem(…)`.
    pub(super) fn problem<T>(&mut self, path: &Path, message: impl Into<String>) -> Option<T> {
        self.findings.problem(path, message);
        None
    }

    /// Runs `walk` one level deeper, refusing to go beyond [`MAX_DEPTH`].
    fn nested<T>(&mut self, path: &Path, walk: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return self.problem(path, format!("nested more than {MAX_DEPTH} levels deep"));
        }
        match *self.budget {
            0 => return None,
            1 => {
                *self.budget = 0;
                return self.problem(
                    path,
                    format!("the file holds more than {MAX_OPERATIONS} operations once its `$ref`s are resolved"),
                );
            }
            _ => *self.budget -= 1,
        }
        self.depth += 1;
        let result = walk(self);
        self.depth -= 1;
        result
    }

    /// `name` as a variant of this flag.
    pub(super) fn variant(&mut self, name: &str, path: &Path) -> Option<String> {
        if self.variants.iter().any(|(variant, _)| variant == name) {
            Some(name.to_owned())
        } else {
            let known = variant_names(self.variants);
            self.problem(
                path,
                format!("{name:?} is not among the flag's variants {known:?}"),
            )
        }
    }

    /// The flag's targeting rule.
    pub(super) fn targeting(&mut self, value: &'a Value, path: &Path) -> Option<Targeting> {
        self.nested(path, |t| t.choice(value, path))
    }

    fn choice(&mut self, value: &'a Value, path: &Path) -> Option<Targeting> {
        let serve = |outcome| Some(Targeting::Serve(outcome, path.clone()));
        match value {
            Value::String(name) => serve(Outcome::Variant(self.variant(name, path)?)),
            Value::Bool(flag) => serve(Outcome::Variant(self.variant(&flag.to_string(), path)?)),
            Value::Null => serve(Outcome::Default),
            Value::Object(_) => {
                let (op, argument) = self.operation(value, path)?;
                let at = path.key(op);
                match op {
                    "if" => self.branches(argument, &at),
                    "fractional" => serve(fractional::translate(self, argument, &at)?),
                    op if BOOLEAN.contains(&op) => self.boolean_choice(value, path),
                    "$ref" => {
                        let (name, body, body_path) = self.evaluator(argument, &at)?;
                        self.resolving.push(name);
                        let chosen = self.targeting(body, &body_path);
                        self.resolving.pop();
                        chosen
                    }
                    "var" => self.problem(
                        &at,
                        "a variant named by a context attribute is not supported; targeting must end in variant names, null or `fractional`",
                    ),
                    "fractionalEvaluation" => self.problem(&at, LEGACY_FRACTIONAL),
                    other => self.problem(
                        &at,
                        format!(
                            "operator `{other}` does not choose a variant; targeting must end in variant names, null or `fractional`"
                        ),
                    ),
                }
            }
            other => self.problem(path, format!("{} cannot name a variant", kind(other))),
        }
    }

    /// A condition as the result: flagd serves the variant named `"true"` or `"false"`.
    fn boolean_choice(&mut self, value: &'a Value, path: &Path) -> Option<Targeting> {
        if !boolean(value) {
            return self.problem(
                path,
                "`and`/`or` with a literal operand answer that literal, not a variant name; compare instead",
            );
        }
        let has = |name: &str| self.variants.iter().any(|(variant, _)| variant == name);
        if !has("true") || !has("false") {
            return self.problem(
                path,
                "a condition as the result chooses the variant named \"true\" or \"false\"; this flag lacks one",
            );
        }
        let test = self.test(value, path)?;
        let serve = |name: &str| Targeting::Serve(Outcome::Variant(name.to_owned()), path.clone());
        Some(Targeting::If(
            vec![(test, serve("true"))],
            Box::new(serve("false")),
        ))
    }

    /// `if`: condition/value pairs, then an optional else (`null` when left out).
    fn branches(&mut self, argument: &'a Value, path: &Path) -> Option<Targeting> {
        let items = arguments(argument);
        match items.len() {
            0 => return Some(Targeting::Serve(Outcome::Default, path.clone())),
            1 => return self.problem(path, "`if` needs a condition and a value"),
            _ => {}
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut complete = true;
        for (i, pair) in items.chunks_exact(2).enumerate() {
            let test = self.test(pair[0], &path.index(2 * i));
            let then = self.targeting(pair[1], &path.index(2 * i + 1));
            match (test, then) {
                (Some(test), Some(then)) => pairs.push((test, then)),
                _ => complete = false,
            }
        }
        let otherwise = match items.len() % 2 {
            1 => self.targeting(items[items.len() - 1], &path.index(items.len() - 1)),
            _ => Some(Targeting::Serve(Outcome::Default, path.clone())),
        };
        let otherwise = otherwise?;
        complete.then(|| Targeting::If(pairs, Box::new(otherwise)))
    }

    /// A condition.
    pub(super) fn test(&mut self, value: &'a Value, path: &Path) -> Option<Test> {
        self.nested(path, |t| t.condition(value, path))
    }

    fn condition(&mut self, value: &'a Value, path: &Path) -> Option<Test> {
        // Constants are tested for JsonLogic truthiness.
        match value {
            Value::Bool(b) => return Some(Test::Always(*b)),
            Value::Null => return Some(Test::Always(false)),
            Value::Number(n) => return Some(Test::Always(n.as_f64().is_some_and(|n| n != 0.0))),
            Value::String(s) => return Some(Test::Always(!s.is_empty())),
            Value::Array(_) => return self.problem(path, "a list is not a condition"),
            Value::Object(_) => {}
        }
        let (op, argument) = self.operation(value, path)?;
        let at = path.key(op);
        match op {
            "and" | "or" => {
                let items = arguments(argument);
                if items.is_empty() {
                    return self.problem(&at, format!("`{op}` needs at least one condition"));
                }
                let tests: Vec<Option<Test>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.test(item, &at.index(i)))
                    .collect();
                let tests: Vec<Test> = tests.into_iter().collect::<Option<_>>()?;
                Some(if op == "and" {
                    Test::All(tests)
                } else {
                    Test::Any(tests)
                })
            }
            "!" | "!!" => {
                let (item, item_path) = match argument {
                    Value::Array(items) if items.len() == 1 => (&items[0], at.index(0)),
                    Value::Array(items) => {
                        return self.problem(
                            &at,
                            format!("`{op}` takes one condition, got {}", items.len()),
                        );
                    }
                    single => (single, at.clone()),
                };
                let test = self.test(item, &item_path)?;
                Some(if op == "!" {
                    Test::Not(Box::new(test))
                } else {
                    test
                })
            }
            "==" | "===" | "!=" | "!==" | "<" | "<=" | ">" | ">=" | "in" | "starts_with"
            | "ends_with" => compare::translate(self, op, &arguments(argument), &at),
            "sem_ver" => semver::translate(self, &arguments(argument), &at),
            "$ref" => self.shared_test(argument, &at),
            "var" => self.problem(
                &at,
                "a context attribute on its own (JsonLogic truthiness) is not a condition Rollgate can state; compare it, e.g. {\"==\": [{\"var\": \"beta\"}, true]}",
            ),
            "if" => self.problem(&at, "`if` inside a condition is not supported"),
            "fractional" => self.problem(
                &at,
                "`fractional` as a condition is not supported; let the `fractional` choose the variants",
            ),
            "fractionalEvaluation" => self.problem(&at, LEGACY_FRACTIONAL),
            other if UNSUPPORTED.contains(&other) => {
                self.problem(&at, format!("operator `{other}` is not supported"))
            }
            other => self.problem(&at, format!("unknown operator `{other}`")),
        }
    }

    /// A `$ref` used as a condition: a segment when it can be one, its test otherwise.
    fn shared_test(&mut self, argument: &'a Value, path: &Path) -> Option<Test> {
        let (name, body, body_path) = self.evaluator(argument, path)?;
        let reads_before = self.flag_key_reads;
        self.resolving.push(name);
        let test = self.test(body, &body_path);
        self.resolving.pop();
        let test = test?;
        if self.flag_key_reads != reads_before {
            // Reads the flag's own key: it tests something different for each flag.
            return Some(test);
        }
        if check_key(name).is_err() || builtin_segment(name).is_some() {
            self.findings.note(
                &body_path,
                format!(
                    "evaluator {name:?} is inlined into the flag's rules: its name cannot be a segment's key"
                ),
            );
            return Some(test);
        }
        Some(Test::Segment(Rc::new(SegmentUse {
            key: name.to_owned(),
            body: test,
        })))
    }

    /// The evaluator a `$ref` names: its name, rule and path.
    fn evaluator(
        &mut self,
        argument: &'a Value,
        path: &Path,
    ) -> Option<(&'a str, &'a Value, Path)> {
        let Value::String(name) = argument else {
            return self.problem(
                path,
                format!("`$ref` names an evaluator, got {}", kind(argument)),
            );
        };
        let Some((name, body)) = self.evaluators.get_key_value(name.as_str()) else {
            let known: Vec<&str> = self.evaluators.keys().map(String::as_str).collect();
            return self.problem(
                path,
                format!("unknown evaluator {name:?}; `$evaluators` defines {known:?}"),
            );
        };
        if self.resolving.contains(&name.as_str()) {
            let cycle: Vec<&str> = self
                .resolving
                .iter()
                .copied()
                .chain([name.as_str()])
                .collect();
            return self.problem(path, format!("cyclic `$ref`: {}", cycle.join(" → ")));
        }
        Some((name, body, Path::new("$evaluators").key(name)))
    }

    /// An operation object's operator and argument.
    pub(super) fn operation(
        &mut self,
        value: &'a Value,
        path: &Path,
    ) -> Option<(&'a str, &'a Value)> {
        let Value::Object(members) = value else {
            return self.problem(path, format!("expected an operation, got {}", kind(value)));
        };
        let mut entries = members.iter();
        match (entries.next(), entries.next()) {
            (Some((op, argument)), None) => Some((op.as_str(), argument)),
            (None, _) => self.problem(path, "an empty object is not an operation"),
            (Some(_), Some(_)) => {
                let keys: Vec<&str> = members.keys().map(String::as_str).collect();
                self.problem(
                    path,
                    format!("an operation has exactly one operator, got {keys:?}"),
                )
            }
        }
    }
}

/// Operators whose result is a boolean when their operands are.
const BOOLEAN: &[&str] = &[
    "==",
    "===",
    "!=",
    "!==",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "starts_with",
    "ends_with",
    "sem_ver",
    "!",
    "!!",
    "and",
    "or",
];

/// The expression yields `true` or `false` (not one of its operands' other values, as
/// JsonLogic's `and` and `or` can): comparisons, negations, shared evaluators, and
/// `and`/`or` of such.
fn boolean(value: &Value) -> bool {
    let Value::Object(members) = value else {
        return value.is_boolean();
    };
    let mut entries = members.iter();
    match (entries.next(), entries.next()) {
        (Some((op, argument)), None) => match op.as_str() {
            "and" | "or" => arguments(argument).into_iter().all(boolean),
            "$ref" => true,
            op => BOOLEAN.contains(&op),
        },
        _ => false,
    }
}

/// An operator's arguments: a list, or one value (JsonLogic's shorthand).
pub(super) fn arguments(argument: &Value) -> Vec<&Value> {
    match argument {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    }
}

mod operand;
#[cfg(test)]
mod tests;
