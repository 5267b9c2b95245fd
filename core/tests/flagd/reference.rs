//! A small flagd evaluator, written for these tests from flagd's documentation (flag
//! definitions, the `fractional`, `sem_ver` and string custom operations) and the
//! flagd-testbed scenarios — not from Rollgate's translation, which it checks.
//!
//! It evaluates JsonLogic directly on the context, as flagd does: `var` reads nested
//! paths, `$ref` is resolved when met, `fractional` hashes `flagKey ++ targetingKey`
//! (or its first argument's string) with MurmurHash3 (the `murmur3` crate) and maps the
//! hash onto the total weight, `(h × T) >> 32`. Where flagd's implementations differ on
//! a point these tests touch, it follows the testbed; the choices:
//!
//! - comparisons see types as JsonLogic's loose equality does for the common cases —
//!   a string and a number compare as numbers, nothing else is coerced — and `<` reads
//!   numbers and numeric strings only (a missing attribute is not below anything);
//! - `fractional` answers `null` (so: `defaultVariant`) without a bucketing value, with
//!   all weights zero; with one arm it answers that arm; when an explicit bucketing
//!   value is `null` it falls back to `flagKey ++ targetingKey`, as flagd's Go
//!   evaluator does;
//! - `sem_ver` reads `v`/`V` prefixes and partial versions (`1`, `1.2`);
//! - a disabled flag serves its `defaultVariant` (flagd's ADR on disabled flags).

use std::io::Cursor;

use semver::Version;
use serde_json::{Map, Value};

/// A flagd file, ready to evaluate.
pub struct Flagd {
    flags: Map<String, Value>,
    evaluators: Map<String, Value>,
}

impl Flagd {
    /// Reads a flagd file.
    pub fn new(file: &Value) -> Flagd {
        let object = |name: &str| {
            file.get(name)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        Flagd {
            flags: object("flags"),
            evaluators: object("$evaluators"),
        }
    }

    /// Keys of the flags.
    pub fn keys(&self) -> Vec<String> {
        self.flags.keys().cloned().collect()
    }

    /// The variant flagd serves for `key` in `context`; `Err` for an evaluation error.
    pub fn variant(&self, key: &str, context: &Map<String, Value>) -> Result<String, String> {
        let flag = self.flags.get(key).ok_or("no such flag")?;
        let default = flag["defaultVariant"]
            .as_str()
            .ok_or("no default variant")?
            .to_owned();
        if flag["state"] == "DISABLED" {
            return Ok(default);
        }
        let targeting = match flag.get("targeting") {
            None | Some(Value::Null) => return Ok(default),
            Some(Value::Object(rule)) if rule.is_empty() => return Ok(default),
            Some(rule) => rule,
        };
        let mut data = context.clone();
        data.insert("$flagd".to_owned(), serde_json::json!({ "flagKey": key }));
        let evaluation = Evaluation {
            flagd: self,
            data: &data,
            key,
        };
        let variant = match evaluation.apply(targeting, 0)? {
            Value::Null => default,
            Value::String(name) => name,
            Value::Bool(b) => b.to_string(),
            other => return Err(format!("targeting returned {other}")),
        };
        if flag["variants"].get(&variant).is_none() {
            return Err(format!("unknown variant {variant:?}"));
        }
        Ok(variant)
    }
}

struct Evaluation<'a> {
    flagd: &'a Flagd,
    data: &'a Map<String, Value>,
    key: &'a str,
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn loose_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(_), Value::Number(_)) | (Value::Number(_), Value::String(_)) => {
            matches!((number(a), number(b)), (Some(x), Some(y)) if x == y)
        }
        _ => a == b,
    }
}

fn strict_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A version as flagd reads it; `None` when it is not one.
fn version(value: &Value) -> Option<Version> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return None,
    };
    let text = text.strip_prefix(['v', 'V']).unwrap_or(&text).to_owned();
    let parts: Vec<&str> = text.split('.').collect();
    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let full = match parts.len() {
        1 if parts.iter().all(digits) => format!("{text}.0.0"),
        2 if parts.iter().all(digits) => format!("{text}.0"),
        _ => text,
    };
    Version::parse(&full).ok()
}

impl Evaluation<'_> {
    fn lookup(&self, path: &str) -> Value {
        let mut at = self.data.get(path.split('.').next().unwrap_or_default());
        for step in path.split('.').skip(1) {
            at = at.and_then(|value| value.get(step));
        }
        at.cloned().unwrap_or(Value::Null)
    }

    fn apply(&self, logic: &Value, depth: usize) -> Result<Value, String> {
        if depth > 200 {
            return Err("too deep".to_owned());
        }
        let (op, argument) = match logic {
            Value::Array(items) => {
                let items: Result<Vec<Value>, String> =
                    items.iter().map(|i| self.apply(i, depth + 1)).collect();
                return Ok(Value::Array(items?));
            }
            Value::Object(members) if members.len() == 1 => members.iter().next().ok_or("empty")?,
            Value::Object(_) => return Err("not an operation".to_owned()),
            literal => return Ok(literal.clone()),
        };
        let raw: Vec<&Value> = match argument {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let arg = |i: usize| -> Result<Value, String> {
            raw.get(i)
                .map_or(Ok(Value::Null), |item| self.apply(item, depth + 1))
        };
        Ok(match op.as_str() {
            "var" => {
                let name = arg(0)?;
                let found = self.lookup(name.as_str().ok_or("var takes a name")?);
                if found.is_null() { arg(1)? } else { found }
            }
            "$ref" => {
                let name = argument.as_str().ok_or("$ref takes a name")?;
                let body = self.flagd.evaluators.get(name).ok_or("unknown evaluator")?;
                self.apply(body, depth + 1)?
            }
            "if" => {
                let mut i = 0;
                while i + 1 < raw.len() {
                    if truthy(&arg(i)?) {
                        return arg(i + 1);
                    }
                    i += 2;
                }
                if i < raw.len() { arg(i)? } else { Value::Null }
            }
            "and" => {
                let mut last = Value::Bool(true);
                for i in 0..raw.len() {
                    last = arg(i)?;
                    if !truthy(&last) {
                        break;
                    }
                }
                last
            }
            "or" => {
                let mut last = Value::Bool(false);
                for i in 0..raw.len() {
                    last = arg(i)?;
                    if truthy(&last) {
                        break;
                    }
                }
                last
            }
            "!" => Value::Bool(!truthy(&arg(0)?)),
            "!!" => Value::Bool(truthy(&arg(0)?)),
            "==" => Value::Bool(loose_equal(&arg(0)?, &arg(1)?)),
            "!=" => Value::Bool(!loose_equal(&arg(0)?, &arg(1)?)),
            "===" => Value::Bool(strict_equal(&arg(0)?, &arg(1)?)),
            "!==" => Value::Bool(!strict_equal(&arg(0)?, &arg(1)?)),
            "<" | "<=" | ">" | ">=" => {
                let values: Result<Vec<Value>, String> = (0..raw.len()).map(arg).collect();
                let numbers: Option<Vec<f64>> = values?.iter().map(number).collect();
                let holds = |a: f64, b: f64| match op.as_str() {
                    "<" => a < b,
                    "<=" => a <= b,
                    ">" => a > b,
                    _ => a >= b,
                };
                Value::Bool(numbers.is_some_and(|n| n.windows(2).all(|w| holds(w[0], w[1]))))
            }
            "in" => Value::Bool(match (arg(0)?, arg(1)?) {
                (Value::String(needle), Value::String(hay)) => hay.contains(&needle),
                (needle, Value::Array(items)) => {
                    items.iter().any(|item| strict_equal(item, &needle))
                }
                _ => false,
            }),
            "starts_with" | "ends_with" => Value::Bool(match (arg(0)?, arg(1)?) {
                (Value::String(text), Value::String(affix)) if op == "starts_with" => {
                    text.starts_with(&affix)
                }
                (Value::String(text), Value::String(affix)) => text.ends_with(&affix),
                _ => false,
            }),
            "sem_ver" => {
                let (a, op, b) = (version(&arg(0)?), arg(1)?, version(&arg(2)?));
                let (Some(a), Some(b)) = (a, b) else {
                    return Ok(Value::Bool(false));
                };
                let order = a.cmp_precedence(&b);
                Value::Bool(match op.as_str().unwrap_or_default() {
                    "=" => order.is_eq(),
                    "!=" => order.is_ne(),
                    "<" => order.is_lt(),
                    "<=" => order.is_le(),
                    ">" => order.is_gt(),
                    ">=" => order.is_ge(),
                    "^" => a.major == b.major,
                    "~" => a.major == b.major && a.minor == b.minor,
                    _ => false,
                })
            }
            "cat" => {
                let values: Result<Vec<Value>, String> = (0..raw.len()).map(arg).collect();
                Value::String(
                    values?
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect(),
                )
            }
            "fractional" => self.fractional(&raw, depth)?,
            other => return Err(format!("unknown operator {other}")),
        })
    }

    fn fractional(&self, raw: &[&Value], depth: usize) -> Result<Value, String> {
        let first = match raw.first() {
            Some(Value::Array(_)) | None => None,
            Some(expression) => Some(self.apply(expression, depth + 1)?),
        };
        let arms = if first.is_some() { &raw[1..] } else { raw };
        let mut parsed = Vec::new();
        for arm in arms {
            let Value::Array(parts) = arm else {
                return Ok(Value::Null);
            };
            let name = match parts.first() {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => return Ok(Value::Null),
            };
            let weight = match parts.get(1) {
                None => 1u64,
                Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
                    (Some(w), _) => w,
                    (None, Some(w)) if w.fract() == 0.0 => w.max(0.0) as u64,
                    _ => return Ok(Value::Null),
                },
                Some(_) => return Ok(Value::Null),
            };
            parsed.push((name, weight));
        }
        if let [(only, _)] = parsed.as_slice() {
            return Ok(Value::String(only.clone()));
        }
        let total: u64 = parsed.iter().map(|(_, w)| w).sum();
        if total == 0 || total > i32::MAX as u64 {
            return Ok(Value::Null);
        }
        let input = match first {
            Some(Value::String(value)) => value,
            Some(Value::Null) | None => match self.data.get("targetingKey") {
                Some(Value::String(key)) => format!("{}{key}", self.key),
                _ => return Ok(Value::Null),
            },
            Some(_) => return Ok(Value::Null),
        };
        let hash = murmur3::murmur3_32(&mut Cursor::new(input.as_bytes()), 0)
            .map_err(|e| e.to_string())?;
        let bucket = (u64::from(hash) * total) >> 32;
        let mut end = 0;
        for (name, weight) in parsed {
            end += weight;
            if bucket < end {
                return Ok(Value::String(name));
            }
        }
        Ok(Value::Null)
    }
}
