//! Validation: turning a document into either a model value or a list of precise errors.
//!
//! Parsing ([`parse`]) catches what the JSON shape already rules out — syntax, wrong
//! types, unknown fields, duplicate object keys — and names the field by its path.
//! The `validate_*` functions then check meaning: variants that exist, weights that sum
//! to 100 %, regexes and versions that parse, segments and environments that exist.
//! Problems are returned as values, never raised.

mod condition;
pub(crate) mod flag;
mod segment;
mod text;

use std::collections::BTreeSet;
use std::fmt;

use serde::de::DeserializeOwned;

pub use condition::{MAX_REGEX_BYTES, validate_condition};
pub use flag::validate_flag;
pub use segment::validate_segment;
pub use text::{Lines, check_text};

use crate::key::check_key;
use crate::model::Environment;

/// One problem with one field of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `environments.production.rules[0].serve.variant`; `""`
    /// for the document itself.
    pub field: String,
    /// What is wrong, in words for the caller.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Where a field is in a document, kept as borrowed steps and spelled out
/// (`environments.production.rules[0].serve`) only when an error must name it: a
/// snapshot compiles thousands of fields without a fault, and should not format a path
/// for each.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Name(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// A path that starts as `prefix` (`""` for the document itself).
    pub(crate) fn root(prefix: &'a str) -> Path<'a> {
        Path {
            parent: None,
            step: Step::Name(prefix),
        }
    }

    /// The member `name` of this field.
    pub(crate) fn field(&'a self, name: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Name(name),
        }
    }

    /// The element `index` of this list.
    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// A problem at this path.
    pub(crate) fn error(&self, message: impl Into<String>) -> FieldError {
        FieldError::new(self.to_string(), message)
    }

    fn is_empty(&self) -> bool {
        self.parent.is_none() && matches!(self.step, Step::Name(""))
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parent = self.parent.filter(|parent| !parent.is_empty());
        if let Some(parent) = parent {
            parent.fmt(f)?;
        }
        match self.step {
            Step::Name(name) if parent.is_some() => write!(f, ".{name}"),
            Step::Name(name) => f.write_str(name),
            Step::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all (a syntax error or a truncated body).
    Syntax(FieldError),
    /// JSON of the wrong shape, or with values that mean nothing.
    Invalid(Vec<FieldError>),
}

impl ParseError {
    /// All field errors, whichever kind.
    pub fn errors(&self) -> &[FieldError] {
        match self {
            ParseError::Syntax(error) => std::slice::from_ref(error),
            ParseError::Invalid(errors) => errors,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors();
        for (i, error) in errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Reads a JSON document into `T`, naming the offending field on failure.
pub fn parse<T: DeserializeOwned>(json: &[u8]) -> Result<T, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(field_error)?;
    deserializer.end().map_err(|error| {
        ParseError::Syntax(FieldError::new("", format!("malformed JSON: {error}")))
    })?;
    Ok(value)
}

/// Reads JSON already parsed (a body whose top-level fields were adjusted first) into
/// `T`, naming the offending field as [`parse`] does, without writing it out again.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(field_error)
}

/// The field error of a failed read: the path serde reached, and the message without
/// its position.
fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> ParseError {
    // `.` is the document itself; `?` a place serde could not name (before the first
    // field).
    let mut field = match error.path().to_string() {
        root if root == "." || root == "?" => String::new(),
        path => path,
    };
    let inner = error.into_inner();
    let message = strip_position(&inner);
    // serde reports a missing or repeated field at its parent; name the field.
    if let Some(name) = named_field(&message) {
        field = if field.is_empty() {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        };
    }
    if inner.is_data() {
        ParseError::Invalid(vec![FieldError::new(field, message)])
    } else {
        ParseError::Syntax(FieldError::new(field, format!("malformed JSON: {inner}")))
    }
}

/// The field a "missing field `x`" or "duplicate field `x`" message is about.
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("duplicate field `"))?;
    rest.split_once('`').map(|(name, _)| name)
}

/// serde_json appends " at line L column C" to data errors; the field path says more.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// What other documents exist, for the checks that cross documents (a rule's segment,
/// a configuration's environment).
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Keys of the existing environments.
    pub environments: BTreeSet<String>,
    /// Keys of the existing segments.
    pub segments: BTreeSet<String>,
}

/// Checks an environment document.
pub fn validate_environment(environment: &Environment) -> Vec<FieldError> {
    let mut errors = Vec::new();
    key_field(&mut errors, "key", &environment.key);
    text_field(
        &mut errors,
        "description",
        &environment.description,
        MAX_DESCRIPTION,
        Lines::Many,
    );
    if let Some(policy) = &environment.release_policy
        && policy.min_approvals > crate::release::validate::MAX_APPROVALS
    {
        errors.push(FieldError::new(
            "release_policy.min_approvals",
            format!(
                "must be 0 to {}, got {}",
                crate::release::validate::MAX_APPROVALS,
                policy.min_approvals
            ),
        ));
    }
    if let Some(policy) = &environment.release_policy {
        for (index, function) in policy.signoffs_required.iter().enumerate() {
            key_field(
                &mut errors,
                &format!("release_policy.signoffs_required[{index}]"),
                function,
            );
        }
    }
    errors
}

/// Longest free-text description accepted, in bytes.
pub const MAX_DESCRIPTION: usize = 4096;

pub(crate) fn key_field(errors: &mut Vec<FieldError>, field: &str, key: &str) {
    if let Err(message) = check_key(key) {
        errors.push(FieldError::new(field, message));
    }
}

/// Checks a free text: at most `max` bytes, and nothing but printable characters (and
/// tab and newline when it spans `lines`; see [`check_text`]).
pub(crate) fn text_field(
    errors: &mut Vec<FieldError>,
    field: &str,
    text: &str,
    max: usize,
    lines: Lines,
) {
    if text.len() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} bytes, got {}", text.len()),
        ));
    }
    if let Err(message) = check_text(text, lines) {
        errors.push(FieldError::new(field, message));
    }
}

pub(crate) fn count_field<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    items: &[T],
    max: usize,
) -> bool {
    if items.len() > max {
        errors.push(FieldError::new(
            field,
            format!("must have at most {max} entries, got {}", items.len()),
        ));
        return false;
    }
    true
}

/// Reports entries of `items` that appear more than once.
pub(crate) fn unique_field<'a>(
    errors: &mut Vec<FieldError>,
    field: &str,
    items: impl IntoIterator<Item = &'a str>,
) {
    let mut seen = BTreeSet::new();
    for (index, item) in items.into_iter().enumerate() {
        if !seen.insert(item) {
            errors.push(FieldError::new(
                format!("{field}[{index}]"),
                format!("duplicate entry {item:?}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Flag;

    #[test]
    fn paths_are_spelled_with_dots_and_brackets() {
        let root = Path::root("");
        let environments = root.field("environments");
        let production = environments.field("production");
        let rules = production.field("rules");
        let rule = rules.index(0);
        assert_eq!(
            rule.field("serve").to_string(),
            "environments.production.rules[0].serve"
        );
        let prefixed = Path::root("default");
        let rollout = prefixed.field("rollout");
        assert_eq!(rollout.index(2).to_string(), "default.rollout[2]");
        assert_eq!(root.to_string(), "");
    }

    #[test]
    fn syntax_errors_are_told_apart_from_shape_errors() {
        assert!(matches!(
            parse::<Flag>(b"{\"variants\": "),
            Err(ParseError::Syntax(_))
        ));
        assert!(matches!(
            parse::<Flag>(br#"{"variants": {"on": true}} trailing"#),
            Err(ParseError::Syntax(_))
        ));
        let Err(ParseError::Invalid(errors)) =
            parse::<Flag>(br#"{"variants": {"on": true}, "tags": "x"}"#)
        else {
            panic!("a string where a list belongs is a shape error");
        };
        assert_eq!(errors[0].field, "tags");
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let doc = br#"{"variants": {"on": true}, "environments": {"production":
            {"off_variant": "on", "default": {"variant": "on"}, "enabeld": true}}}"#;
        let Err(ParseError::Invalid(errors)) = parse::<Flag>(doc) else {
            panic!("typo must be refused")
        };
        assert_eq!(errors[0].field, "environments.production.enabeld");
        assert!(
            errors[0].message.contains("unknown field `enabeld`"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn missing_fields_are_named_and_an_unplaced_error_names_none() {
        let doc =
            br#"{"variants": {"on": true}, "environments": {"production": {"off_variant": "on"}}}"#;
        let Err(ParseError::Invalid(errors)) = parse::<Flag>(doc) else {
            panic!("a configuration without a default must be refused")
        };
        assert_eq!(errors[0].field, "environments.production.default");
        let Err(ParseError::Syntax(error)) = parse::<Flag>(b"{") else {
            panic!("a truncated document is a syntax error")
        };
        assert_eq!(error.field, "");
    }

    #[test]
    fn duplicate_object_keys_are_refused() {
        let doc = br#"{"variants": {"on": true, "on": false}}"#;
        let Err(ParseError::Invalid(errors)) = parse::<Flag>(doc) else {
            panic!("duplicate variant must be refused")
        };
        assert_eq!(errors[0].field, "variants");
        assert!(
            errors[0].message.contains("duplicate"),
            "{}",
            errors[0].message
        );
    }
}
