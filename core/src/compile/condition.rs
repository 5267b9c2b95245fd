//! Compiled conditions: operands parsed once (regexes built, versions and times parsed,
//! string sets hashed) so that matching does no parsing of the rule and no allocation.

use std::sync::{Arc, Weak};

use regex::{Regex, RegexBuilder};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use super::number::Number;
use crate::context::Context;
use crate::model::{Condition, Operator};
use crate::validate::{FieldError, Path};

/// Longest regular expression accepted, in bytes.
pub const MAX_REGEX_BYTES: usize = 1024;
/// Most operands in one condition.
pub const MAX_VALUES: usize = 10_000;
/// Above this many strings a set is hashed; below, a linear scan is faster.
const HASHED_SET_THRESHOLD: usize = 8;

/// One condition, ready to match.
#[derive(Clone, Debug)]
pub struct Matcher {
    attribute: Box<str>,
    negate: bool,
    test: Test,
}

#[derive(Clone, Debug)]
enum Test {
    In(ValueSet),
    NotIn(ValueSet),
    StartsWith(Box<[Box<str>]>),
    EndsWith(Box<[Box<str>]>),
    Contains(Box<[Box<str>]>),
    /// Shared with every condition built from the same pattern (see [`Regexes`]).
    Matches(Box<[Arc<Regex>]>),
    Number(Ordering, Box<[Number]>),
    Semver(Ordering, Box<[semver::Version]>),
    Time(Ordering, Box<[i128]>),
    Exists,
}

/// How the attribute must compare with an operand.
#[derive(Clone, Copy, Debug)]
enum Ordering {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Ordering {
    /// Does an attribute that compares with the operand as `outcome` satisfy the test?
    #[inline]
    fn accepts(self, outcome: std::cmp::Ordering) -> bool {
        match self {
            Ordering::Eq => outcome.is_eq(),
            Ordering::Ne => outcome.is_ne(),
            Ordering::Lt => outcome.is_lt(),
            Ordering::Lte => outcome.is_le(),
            Ordering::Gt => outcome.is_gt(),
            Ordering::Gte => outcome.is_ge(),
        }
    }
}

/// Operands of `in` / `not_in`, by JSON type: `"1"` and `1` are different values.
#[derive(Clone, Debug, Default)]
struct ValueSet {
    strings: StrSet,
    numbers: Box<[Number]>,
    booleans: [bool; 2],
}

impl ValueSet {
    #[inline]
    fn contains(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => self.strings.contains(s),
            Value::Number(n) => Number::of(n).is_some_and(|n| {
                self.numbers
                    .iter()
                    .any(|operand| n.compare(*operand).is_eq())
            }),
            Value::Bool(b) => self.booleans[usize::from(*b)],
            _ => false,
        }
    }
}

/// A set of strings: scanned when short, hashed when long.
#[derive(Clone, Debug)]
pub(crate) enum StrSet {
    Scan(Box<[Box<str>]>),
    Hashed(FxHashSet<Box<str>>),
}

impl Default for StrSet {
    fn default() -> StrSet {
        StrSet::Scan(Box::default())
    }
}

impl StrSet {
    pub(crate) fn new(strings: Vec<Box<str>>) -> StrSet {
        if strings.len() > HASHED_SET_THRESHOLD {
            StrSet::Hashed(strings.into_iter().collect())
        } else {
            StrSet::Scan(strings.into_boxed_slice())
        }
    }

    #[inline]
    pub(crate) fn contains(&self, s: &str) -> bool {
        match self {
            StrSet::Scan(strings) => strings.iter().any(|x| &**x == s),
            StrSet::Hashed(set) => set.contains(s),
        }
    }
}

impl Matcher {
    /// Does `context` satisfy the condition?
    #[inline]
    pub fn matches(&self, context: &Context) -> bool {
        let hit = match (context.get(&self.attribute), &self.test) {
            (value, Test::Exists) => value.is_some_and(|v| !v.is_null()),
            (None | Some(Value::Null), _) => false,
            (Some(Value::Array(items)), Test::NotIn(set)) => {
                !items.iter().any(|item| set.contains(item))
            }
            (Some(value), Test::NotIn(set)) => !set.contains(value),
            (Some(Value::Array(items)), test) => items.iter().any(|item| test.scalar(item)),
            (Some(value), test) => test.scalar(value),
        };
        hit != self.negate
    }
}

impl Test {
    #[inline]
    fn scalar(&self, value: &Value) -> bool {
        match self {
            Test::In(set) => set.contains(value),
            Test::StartsWith(prefixes) => {
                as_str(value).is_some_and(|s| prefixes.iter().any(|p| s.starts_with(&**p)))
            }
            Test::EndsWith(suffixes) => {
                as_str(value).is_some_and(|s| suffixes.iter().any(|p| s.ends_with(&**p)))
            }
            Test::Contains(parts) => {
                as_str(value).is_some_and(|s| parts.iter().any(|p| s.contains(&**p)))
            }
            Test::Matches(regexes) => {
                as_str(value).is_some_and(|s| regexes.iter().any(|r| r.is_match(s)))
            }
            Test::Number(ordering, operands) => as_number(value).is_some_and(|n| {
                operands
                    .iter()
                    .any(|operand| ordering.accepts(n.compare(*operand)))
            }),
            // Precedence, as SemVer 2.0 §11 defines it: build metadata does not count
            // (the `semver` crate's own `Ord` would order `1.0.0+a` after `1.0.0`).
            Test::Semver(ordering, operands) => as_semver(value).is_some_and(|version| {
                operands
                    .iter()
                    .any(|operand| ordering.accepts(version.cmp_precedence(operand)))
            }),
            Test::Time(ordering, operands) => as_time(value).is_some_and(|t| {
                operands
                    .iter()
                    .any(|operand| ordering.accepts(t.cmp(operand)))
            }),
            Test::NotIn(_) | Test::Exists => false,
        }
    }
}

fn as_str(value: &Value) -> Option<&str> {
    value.as_str()
}

/// Numbers, and strings that spell one (contexts from string-only clients).
fn as_number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Number::of(n),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}

/// A semantic version, with an optional leading `v` as apps often report it.
fn as_semver(value: &Value) -> Option<semver::Version> {
    let text = value.as_str()?;
    semver::Version::parse(text.strip_prefix('v').unwrap_or(text)).ok()
}

/// Nanoseconds since the Unix epoch, from an RFC 3339 string or a number of seconds.
fn as_time(value: &Value) -> Option<i128> {
    match value {
        Value::String(s) => parse_rfc3339(s),
        Value::Number(n) => Number::of(n).map(Number::seconds_to_nanos),
        _ => None,
    }
}

fn parse_rfc3339(text: &str) -> Option<i128> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp_nanos)
}

/// Compiles one condition, or reports every problem with it under `field`.
pub fn compile_condition(field: &str, condition: &Condition) -> Result<Matcher, Vec<FieldError>> {
    compile_condition_at(Path::root(field), condition, &mut Regexes::default())
}

/// Regular expressions already built, by pattern: building one costs tens of
/// microseconds and tens of kilobytes, and flags and segments often repeat a pattern.
/// A snapshot hands its cache on to the next one (see `recompile`), so a flag written
/// later shares the regexes of the flags before it; held weakly, so a pattern no
/// condition uses any more is not kept.
#[derive(Clone, Debug, Default)]
pub(crate) struct Regexes(FxHashMap<Box<str>, Weak<Regex>>);

/// [`compile_condition`] at `path`, sharing built regexes through `regexes`.
pub(crate) fn compile_condition_at(
    path: Path<'_>,
    condition: &Condition,
    regexes: &mut Regexes,
) -> Result<Matcher, Vec<FieldError>> {
    let mut errors = Vec::new();
    if condition.attribute.is_empty() || condition.attribute.len() > 256 {
        errors.push(
            path.field("attribute")
                .error("must name a context attribute of 1 to 256 bytes"),
        );
    }
    let op = condition.op;
    let values = &condition.values;
    let values_path = path.field("values");
    if op == Operator::Exists {
        if !values.is_empty() {
            errors.push(values_path.error("`exists` takes no values"));
        }
    } else if values.is_empty() {
        errors.push(values_path.error(format!("`{}` needs at least one value", op.as_str())));
    } else if values.len() > MAX_VALUES {
        errors
            .push(values_path.error(format!("at most {MAX_VALUES} values, got {}", values.len())));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let test = operands(values_path, op, values, &mut errors, regexes);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Matcher {
        attribute: condition.attribute.as_str().into(),
        negate: condition.negate,
        test,
    })
}

fn operands(
    path: Path<'_>,
    op: Operator,
    values: &[Value],
    errors: &mut Vec<FieldError>,
    regexes: &mut Regexes,
) -> Test {
    let mut each = |expect: &str, parse: &mut dyn FnMut(&Value) -> Option<()>| {
        for (index, value) in values.iter().enumerate() {
            if parse(value).is_none() {
                errors.push(
                    path.index(index)
                        .error(format!("`{}` needs {expect}, got {value}", op.as_str())),
                );
            }
        }
    };
    match op {
        Operator::In | Operator::NotIn => {
            let (mut strings, mut numbers, mut booleans) = (Vec::new(), Vec::new(), [false; 2]);
            each("strings, numbers or booleans", &mut |value| {
                match value {
                    Value::String(s) => strings.push(s.as_str().into()),
                    Value::Number(n) => numbers.push(Number::of(n)?),
                    Value::Bool(b) => booleans[usize::from(*b)] = true,
                    _ => return None,
                }
                Some(())
            });
            let set = ValueSet {
                strings: StrSet::new(strings),
                numbers: numbers.into(),
                booleans,
            };
            if op == Operator::In {
                Test::In(set)
            } else {
                Test::NotIn(set)
            }
        }
        Operator::StartsWith | Operator::EndsWith | Operator::Contains => {
            let mut strings: Vec<Box<str>> = Vec::new();
            each("strings", &mut |value| {
                strings.push(value.as_str()?.into());
                Some(())
            });
            let strings = strings.into_boxed_slice();
            match op {
                Operator::StartsWith => Test::StartsWith(strings),
                Operator::EndsWith => Test::EndsWith(strings),
                _ => Test::Contains(strings),
            }
        }
        Operator::Matches => {
            let mut built = Vec::with_capacity(values.len());
            for (index, value) in values.iter().enumerate() {
                match regexes.build(value) {
                    Ok(regex) => built.push(regex),
                    Err(message) => errors.push(path.index(index).error(message)),
                }
            }
            Test::Matches(built.into())
        }
        Operator::Eq
        | Operator::Ne
        | Operator::Lt
        | Operator::Lte
        | Operator::Gt
        | Operator::Gte => {
            let mut numbers = Vec::new();
            each("numbers", &mut |value| {
                numbers.push(Number::of(value.as_number()?)?);
                Some(())
            });
            let ordering = match op {
                Operator::Eq => Ordering::Eq,
                Operator::Ne => Ordering::Ne,
                Operator::Lt => Ordering::Lt,
                Operator::Lte => Ordering::Lte,
                Operator::Gt => Ordering::Gt,
                _ => Ordering::Gte,
            };
            Test::Number(ordering, numbers.into())
        }
        Operator::SemverEq | Operator::SemverLt | Operator::SemverGt => {
            let mut versions = Vec::new();
            each("semantic versions such as \"2.4.0\"", &mut |value| {
                versions.push(semver::Version::parse(value.as_str()?).ok()?);
                Some(())
            });
            let ordering = match op {
                Operator::SemverEq => Ordering::Eq,
                Operator::SemverLt => Ordering::Lt,
                _ => Ordering::Gt,
            };
            Test::Semver(ordering, versions.into())
        }
        Operator::Before | Operator::After => {
            let mut times = Vec::new();
            each(
                "RFC 3339 times such as \"2026-12-01T09:00:00Z\"",
                &mut |value| {
                    times.push(parse_rfc3339(value.as_str()?)?);
                    Some(())
                },
            );
            let ordering = if op == Operator::Before {
                Ordering::Lt
            } else {
                Ordering::Gt
            };
            Test::Time(ordering, times.into())
        }
        Operator::Exists => Test::Exists,
    }
}

impl Regexes {
    /// Forgets the patterns no compiled condition uses any more.
    pub(crate) fn prune(&mut self) {
        self.0.retain(|_, regex| regex.strong_count() > 0);
    }

    fn build(&mut self, value: &Value) -> Result<Arc<Regex>, String> {
        let Some(pattern) = value.as_str() else {
            return Err(format!(
                "`matches` needs regular expressions as strings, got {value}"
            ));
        };
        if let Some(regex) = self.0.get(pattern).and_then(Weak::upgrade) {
            return Ok(regex);
        }
        if pattern.len() > MAX_REGEX_BYTES {
            return Err(format!(
                "regular expression longer than {MAX_REGEX_BYTES} bytes"
            ));
        }
        let regex = RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|error| format!("bad regular expression: {error}"))?;
        let regex = Arc::new(regex);
        self.0.insert(pattern.into(), Arc::downgrade(&regex));
        Ok(regex)
    }
}
