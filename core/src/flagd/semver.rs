//! flagd's `sem_ver` as Rollgate's version conditions.
//!
//! `{"sem_ver": [{"var": "version"}, OP, "2.4.0"]}` with OP one of `=`, `!=`, `<`,
//! `<=`, `>`, `>=`, `^` (same major) and `~` (same major and minor). Rollgate has
//! `semver_eq`, `semver_lt` and `semver_gt`, each false for a context value that is not
//! a version — as flagd's comparison is false then. So every operator is stated with
//! those three un-negated where it must be false for a non-version (`!=` is "lower or
//! higher", not "not equal", which a non-version would satisfy):
//!
//! - `<=` is `lt ∨ eq`, `>=` is `gt ∨ eq`, `!=` is `lt ∨ gt`;
//! - `^ M.m.p` is `¬lt M.0.0-0 ∧ lt (M+1).0.0-0` (the lowest version of a major is its
//!   `-0` pre-release), and `~` the same one level down; the `lt` keeps non-versions out.
//!
//! The literal may carry a `v` and may be partial (`"1"`, `"1.2"`), as flagd reads it.

use semver::{BuildMetadata, Prerelease, Version};
use serde_json::Value;

use super::dnf::Test;
use super::finding::Path;
use super::logic::{Operand, Translator};
use crate::model::{Condition, Operator};

/// Translates `sem_ver` with `items` as its arguments.
pub(super) fn translate<'a>(
    t: &mut Translator<'a>,
    items: &[&'a Value],
    path: &Path,
) -> Option<Test> {
    let [subject, op, target] = items else {
        return t.problem(
            path,
            format!(
                "`sem_ver` takes a version, an operator and a version, got {} arguments",
                items.len()
            ),
        );
    };
    let Value::String(op) = op else {
        return t.problem(
            &path.index(1),
            format!("the operator is a string, got {op}"),
        );
    };
    if !["=", "!=", "<", "<=", ">", ">=", "^", "~"].contains(&op.as_str()) {
        return t.problem(
            &path.index(1),
            format!("unknown `sem_ver` operator {op:?}; flagd's are =, !=, <, <=, >, >=, ^ and ~"),
        );
    }
    let subject = t.operand(subject, &path.index(0));
    let target = t.operand(target, &path.index(2));
    match (subject?, target?) {
        (Operand::Attribute(attribute), Operand::Constant(version)) => {
            let version = parse(&version).or_else(|| not_a_version(t, &path.index(2), &version))?;
            Some(test(&attribute, op, &version))
        }
        (Operand::Constant(version), Operand::Attribute(attribute)) => {
            let version = parse(&version).or_else(|| not_a_version(t, &path.index(0), &version))?;
            Some(test(&attribute, mirrored(op), &version))
        }
        (Operand::Constant(a), Operand::Constant(b)) => {
            let a = parse(&a).or_else(|| not_a_version(t, &path.index(0), &a))?;
            let b = parse(&b).or_else(|| not_a_version(t, &path.index(2), &b))?;
            Some(Test::Always(holds(op, &a, &b)))
        }
        (Operand::Attribute(_), Operand::Attribute(_)) => {
            t.problem(path, "comparing two context attributes is not supported")
        }
    }
}

fn not_a_version(t: &mut Translator<'_>, path: &Path, value: &Value) -> Option<Version> {
    t.problem(
        path,
        format!("not a semantic version: {value}; expected e.g. \"2.4.0\""),
    )
}

/// A version literal as flagd reads it: an optional `v`, and `1` or `1.2` standing for
/// `1.0.0` and `1.2.0`. Build metadata is dropped (it never counts in comparisons).
pub(super) fn parse(value: &Value) -> Option<Version> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return None,
    };
    let text = text.strip_prefix(['v', 'V']).unwrap_or(&text);
    let numeric = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let dots = text.split('.').collect::<Vec<_>>();
    let full = match dots.as_slice() {
        [major] if numeric(major) => format!("{major}.0.0"),
        [major, minor] if numeric(major) && numeric(minor) => format!("{major}.{minor}.0"),
        _ => text.to_owned(),
    };
    let mut version = Version::parse(&full).ok()?;
    version.build = BuildMetadata::EMPTY;
    Some(version)
}

/// The operator read from the other side: `"2.0.0" < x` is `x > "2.0.0"`.
fn mirrored(op: &str) -> &str {
    match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        same => same,
    }
}

fn holds(op: &str, a: &Version, b: &Version) -> bool {
    let order = a.cmp_precedence(b);
    match op {
        "=" => order.is_eq(),
        "!=" => order.is_ne(),
        "<" => order.is_lt(),
        "<=" => order.is_le(),
        ">" => order.is_gt(),
        ">=" => order.is_ge(),
        "^" => a.major == b.major,
        _ => a.major == b.major && a.minor == b.minor,
    }
}

fn condition(attribute: &str, op: Operator, version: &Version) -> Test {
    Test::Condition(Condition {
        attribute: attribute.to_owned(),
        op,
        values: vec![Value::String(version.to_string())],
        negate: false,
    })
}

/// The lowest version there is with this major, minor and patch: its `-0` pre-release.
fn lowest(major: u64, minor: u64) -> Version {
    Version {
        major,
        minor,
        patch: 0,
        pre: Prerelease::new("0").unwrap_or(Prerelease::EMPTY),
        build: BuildMetadata::EMPTY,
    }
}

/// `attribute` is of at least `low` and below `high` (when there is a next one).
fn range(attribute: &str, low: Version, high: Option<Version>) -> Test {
    let at_least = match high {
        // With an upper bound, which only versions satisfy, "not lower" is enough.
        Some(_) => Test::Not(Box::new(condition(attribute, Operator::SemverLt, &low))),
        None => Test::Any(vec![
            condition(attribute, Operator::SemverGt, &low),
            condition(attribute, Operator::SemverEq, &low),
        ]),
    };
    match high {
        Some(high) => Test::All(vec![
            at_least,
            condition(attribute, Operator::SemverLt, &high),
        ]),
        None => at_least,
    }
}

fn test(attribute: &str, op: &str, version: &Version) -> Test {
    let is = |op| condition(attribute, op, version);
    match op {
        "=" => is(Operator::SemverEq),
        "!=" => Test::Any(vec![is(Operator::SemverLt), is(Operator::SemverGt)]),
        "<" => is(Operator::SemverLt),
        "<=" => Test::Any(vec![is(Operator::SemverLt), is(Operator::SemverEq)]),
        ">" => is(Operator::SemverGt),
        ">=" => Test::Any(vec![is(Operator::SemverGt), is(Operator::SemverEq)]),
        "^" => range(
            attribute,
            lowest(version.major, 0),
            version.major.checked_add(1).map(|next| lowest(next, 0)),
        ),
        _ => range(
            attribute,
            lowest(version.major, version.minor),
            version
                .minor
                .checked_add(1)
                .map(|next| lowest(version.major, next)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_are_read_as_flagd_reads_them() {
        let v = |text: Value| parse(&text).map(|v| v.to_string());
        assert_eq!(v(json!("v1.2.3")), Some("1.2.3".to_owned()));
        assert_eq!(v(json!("V2")), Some("2.0.0".to_owned()));
        assert_eq!(v(json!("1.4")), Some("1.4.0".to_owned()));
        assert_eq!(v(json!(3)), Some("3.0.0".to_owned()));
        assert_eq!(v(json!("1.0.0+build.7")), Some("1.0.0".to_owned()));
        assert_eq!(v(json!("1.0.0-rc.1")), Some("1.0.0-rc.1".to_owned()));
        assert_eq!(v(json!("2.0.0.0")), None);
        assert_eq!(v(json!("1.x")), None);
    }

    #[test]
    fn the_lowest_version_of_a_major_is_its_zero_pre_release() {
        let low = lowest(3, 0);
        for above in ["3.0.0-0.0", "3.0.0-1", "3.0.0-alpha", "3.0.0", "3.9.9"] {
            let above = Version::parse(above).unwrap();
            assert!(above.cmp_precedence(&low).is_ge(), "{above}");
        }
        assert!(
            Version::parse("2.99.99")
                .unwrap()
                .cmp_precedence(&low)
                .is_lt()
        );
        assert_eq!(low.to_string(), "3.0.0-0");
    }

    #[test]
    fn constants_fold() {
        let one = Version::parse("1.2.3").unwrap();
        let two = Version::parse("1.9.0").unwrap();
        assert!(holds("^", &one, &two));
        assert!(!holds("~", &one, &two));
        assert!(holds("<=", &one, &two));
        assert!(holds("!=", &one, &two));
    }
}
