//! JsonLogic comparisons as Rollgate conditions: `==`, `===`, `!=`, `!==`, `<`, `<=`,
//! `>`, `>=`, `in`, `starts_with`, `ends_with`.
//!
//! One side must be a context attribute and the other a literal (two literals are
//! folded into a constant). Each mapping is chosen so that the condition holds exactly
//! when the JsonLogic comparison is true for an attribute of the type the literal
//! implies:
//!
//! - `==` with a string: the attribute equals the string — or, when the string spells a
//!   JSON number, is that number (loose equality compares `"42"` and `42` as numbers);
//!   with a number: numeric equality, numeric strings included (`eq`); with a boolean:
//!   that boolean; with `null`: the attribute is absent or null. `===` compares without
//!   coercion (`in` of the literal).
//! - `<` and friends take numbers only (`"10" < "9"` compares text in JsonLogic); the
//!   three-argument "between" form becomes two conditions.
//! - `in` with a list is membership (`in`); with a string literal first, it is
//!   "contains" (`contains`).

use serde_json::Value;

use super::dnf::Test;
use super::finding::Path;
use super::logic::{Operand, Translator};
use crate::model::{Condition, Operator};

/// Translates the comparison `op` with `items` as its arguments.
pub(super) fn translate<'a>(
    t: &mut Translator<'a>,
    op: &str,
    items: &[&'a Value],
    path: &Path,
) -> Option<Test> {
    let operands: Vec<Option<Operand>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| t.operand(item, &path.index(i)))
        .collect();
    let operands: Vec<Operand> = operands.into_iter().collect::<Option<_>>()?;
    match op {
        "==" | "===" | "!=" | "!==" => equality(t, op, &operands, path),
        "<" | "<=" | ">" | ">=" => order(t, op, &operands, path),
        "in" => membership(t, &operands, path),
        _ => affix(t, op, &operands, path),
    }
}

fn condition(attribute: &str, op: Operator, values: Vec<Value>) -> Test {
    Test::Condition(Condition {
        attribute: attribute.to_owned(),
        op,
        values,
        negate: false,
    })
}

fn equality(t: &mut Translator<'_>, op: &str, operands: &[Operand], path: &Path) -> Option<Test> {
    let strict = op.len() == 3;
    let test = match operands {
        [Operand::Attribute(attribute), Operand::Constant(value)]
        | [Operand::Constant(value), Operand::Attribute(attribute)] => {
            match equals(attribute, value, strict) {
                Some(test) => test,
                None => {
                    return t.problem(path, "comparing with a list or an object is not supported");
                }
            }
        }
        [Operand::Constant(a), Operand::Constant(b)] => Test::Always(constants_equal(a, b, strict)),
        [Operand::Attribute(_), Operand::Attribute(_)] => {
            return t.problem(path, "comparing two context attributes is not supported");
        }
        _ => {
            return t.problem(
                path,
                format!("`{op}` compares two values, got {}", operands.len()),
            );
        }
    };
    Some(if op.starts_with('!') {
        Test::Not(Box::new(test))
    } else {
        test
    })
}

/// `attribute == value` (or `===` when `strict`); `None` for lists and objects.
fn equals(attribute: &str, value: &Value, strict: bool) -> Option<Test> {
    Some(match value {
        Value::String(text) => {
            let mut values = vec![value.clone()];
            if !strict && let Ok(number) = text.parse::<serde_json::Number>() {
                values.push(Value::Number(number));
            }
            condition(attribute, Operator::In, values)
        }
        Value::Number(_) if strict => condition(attribute, Operator::In, vec![value.clone()]),
        Value::Number(_) => condition(attribute, Operator::Eq, vec![value.clone()]),
        Value::Bool(_) => condition(attribute, Operator::In, vec![value.clone()]),
        Value::Null => Test::Condition(Condition {
            attribute: attribute.to_owned(),
            op: Operator::Exists,
            values: Vec::new(),
            negate: true,
        }),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// Equality of two literals, as JsonLogic decides it for the types it is given here:
/// numbers by value, a string and a number as numbers when loose, nothing else coerced.
fn constants_equal(a: &Value, b: &Value, strict: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) if !strict => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        _ => a == b,
    }
}

fn order(t: &mut Translator<'_>, op: &str, operands: &[Operand], path: &Path) -> Option<Test> {
    let operator = |op: &str| match op {
        "<" => Operator::Lt,
        "<=" => Operator::Lte,
        ">" => Operator::Gt,
        _ => Operator::Gte,
    };
    // The same comparison read from the other side: `1 < x` is `x > 1`.
    let mirrored = |op: &str| match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        _ => "<=",
    };
    for operand in operands {
        match operand {
            Operand::Constant(Value::Number(_)) | Operand::Attribute(_) => {}
            Operand::Constant(Value::String(_)) => {
                return t.problem(path, format!("operator `{op}` on strings is not supported"));
            }
            Operand::Constant(other) => {
                return t.problem(
                    path,
                    format!("operator `{op}` compares numbers, got {other}"),
                );
            }
        }
    }
    let number = |operand: &Operand| match operand {
        Operand::Constant(Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    match operands {
        [Operand::Attribute(attribute), Operand::Constant(n)] => {
            Some(condition(attribute, operator(op), vec![n.clone()]))
        }
        [Operand::Constant(n), Operand::Attribute(attribute)] => Some(condition(
            attribute,
            operator(mirrored(op)),
            vec![n.clone()],
        )),
        [a, b] if number(a).is_some() && number(b).is_some() => {
            Some(Test::Always(holds(op, number(a)?, number(b)?)))
        }
        [
            Operand::Constant(low),
            Operand::Attribute(attribute),
            Operand::Constant(high),
        ] if op.starts_with('<') => Some(Test::All(vec![
            condition(attribute, operator(mirrored(op)), vec![low.clone()]),
            condition(attribute, operator(op), vec![high.clone()]),
        ])),
        [a, b, c] if op.starts_with('<') && [a, b, c].iter().all(|x| number(x).is_some()) => Some(
            Test::Always(holds(op, number(a)?, number(b)?) && holds(op, number(b)?, number(c)?)),
        ),
        [_, _] => t.problem(path, "comparing two context attributes is not supported"),
        [_, _, _] if op.starts_with('<') => t.problem(
            path,
            format!("`{op}` between two numbers needs the context attribute in the middle"),
        ),
        _ => t.problem(
            path,
            format!("`{op}` compares two values, got {}", operands.len()),
        ),
    }
}

fn holds(op: &str, a: f64, b: f64) -> bool {
    match op {
        "<" => a < b,
        "<=" => a <= b,
        ">" => a > b,
        _ => a >= b,
    }
}

fn membership(t: &mut Translator<'_>, operands: &[Operand], path: &Path) -> Option<Test> {
    match operands {
        [
            Operand::Attribute(attribute),
            Operand::Constant(Value::Array(items)),
        ] => {
            let at = path.index(1);
            for (i, item) in items.iter().enumerate() {
                if !matches!(item, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                    return t.problem(
                        &at.index(i),
                        format!("`in` lists strings, numbers and booleans, got {item}"),
                    );
                }
            }
            if items.is_empty() {
                return Some(Test::Always(false));
            }
            Some(condition(attribute, Operator::In, items.clone()))
        }
        [
            Operand::Constant(needle @ Value::String(_)),
            Operand::Attribute(attribute),
        ] => Some(condition(
            attribute,
            Operator::Contains,
            vec![needle.clone()],
        )),
        [
            Operand::Constant(Value::String(needle)),
            Operand::Constant(Value::String(hay)),
        ] => Some(Test::Always(hay.contains(needle.as_str()))),
        [
            Operand::Constant(needle),
            Operand::Constant(Value::Array(items)),
        ] => Some(Test::Always(
            items.iter().any(|item| constants_equal(item, needle, true)),
        )),
        [Operand::Attribute(_), Operand::Constant(Value::String(_))] => t.problem(
            path,
            "`in` testing whether the attribute is part of a fixed string is not supported",
        ),
        [Operand::Attribute(_), Operand::Attribute(_)] => {
            t.problem(path, "comparing two context attributes is not supported")
        }
        [_, _] => t.problem(
            path,
            "`in` takes an attribute and a list, or a string and an attribute",
        ),
        _ => t.problem(
            path,
            format!("`in` takes two values, got {}", operands.len()),
        ),
    }
}

fn affix(t: &mut Translator<'_>, op: &str, operands: &[Operand], path: &Path) -> Option<Test> {
    let operator = if op == "starts_with" {
        Operator::StartsWith
    } else {
        Operator::EndsWith
    };
    match operands {
        [
            Operand::Attribute(attribute),
            Operand::Constant(affix @ Value::String(_)),
        ] => Some(condition(attribute, operator, vec![affix.clone()])),
        [
            Operand::Constant(Value::String(text)),
            Operand::Constant(Value::String(affix)),
        ] => Some(Test::Always(if operator == Operator::StartsWith {
            text.starts_with(affix.as_str())
        } else {
            text.ends_with(affix.as_str())
        })),
        [Operand::Constant(Value::String(_)), Operand::Attribute(_)] => t.problem(
            path,
            format!("`{op}` with the attribute as the affix of a fixed string is not supported"),
        ),
        [_, _] => t.problem(path, format!("`{op}` takes an attribute and a string")),
        _ => t.problem(
            path,
            format!("`{op}` takes two values, got {}", operands.len()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_string_equality_also_matches_the_number_it_spells() {
        let Some(Test::Condition(c)) = equals("plan", &Value::from("42"), false) else {
            panic!("a condition")
        };
        assert_eq!(
            (c.op, c.values),
            (Operator::In, vec![Value::from("42"), Value::from(42)])
        );
        let Some(Test::Condition(c)) = equals("plan", &Value::from("42"), true) else {
            panic!("a condition")
        };
        assert_eq!(c.values, vec![Value::from("42")]);
        let Some(Test::Condition(c)) = equals("n", &Value::from(1.5), false) else {
            panic!("a condition")
        };
        assert_eq!(c.op, Operator::Eq);
        let Some(Test::Condition(c)) = equals("n", &Value::Null, false) else {
            panic!("a condition")
        };
        assert_eq!((c.op, c.negate), (Operator::Exists, true));
        assert!(equals("n", &serde_json::json!([1]), false).is_none());
    }

    #[test]
    fn constants_fold_as_json_logic_compares_them() {
        assert!(constants_equal(&Value::from(1), &Value::from(1.0), true));
        assert!(constants_equal(&Value::from("1"), &Value::from(1), false));
        assert!(!constants_equal(&Value::from("1"), &Value::from(1), true));
        assert!(!constants_equal(&Value::from(true), &Value::from(1), false));
        assert!(constants_equal(&Value::Null, &Value::Null, false));
    }
}
