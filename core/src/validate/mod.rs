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

use std::collections::BTreeSet;
use std::fmt;

use serde::de::DeserializeOwned;

pub use condition::{MAX_REGEX_BYTES, validate_condition};
pub use flag::validate_flag;
pub use segment::validate_segment;

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
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = match error.path().to_string() {
            root if root == "." => String::new(),
            path => path,
        };
        let inner = error.into_inner();
        let message = strip_position(&inner);
        if inner.is_data() {
            let field = with_missing_field(field, &message);
            ParseError::Invalid(vec![FieldError::new(field, message)])
        } else {
            ParseError::Syntax(FieldError::new(field, format!("malformed JSON: {inner}")))
        }
    })?;
    deserializer.end().map_err(|error| {
        ParseError::Syntax(FieldError::new("", format!("malformed JSON: {error}")))
    })?;
    Ok(value)
}

/// serde reports a missing field at the object that lacks it; name the field itself.
fn with_missing_field(path: String, message: &str) -> String {
    let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    else {
        return path;
    };
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
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
    );
    errors
}

/// Longest free-text description accepted, in bytes.
pub const MAX_DESCRIPTION: usize = 4096;

pub(crate) fn key_field(errors: &mut Vec<FieldError>, field: &str, key: &str) {
    if let Err(message) = check_key(key) {
        errors.push(FieldError::new(field, message));
    }
}

pub(crate) fn text_field(errors: &mut Vec<FieldError>, field: &str, text: &str, max: usize) {
    if text.len() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} bytes, got {}", text.len()),
        ));
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
    fn a_missing_field_is_named_with_its_path() {
        let Err(ParseError::Invalid(errors)) = parse::<Flag>(br#"{"key": "x"}"#) else {
            panic!("variants are required")
        };
        assert_eq!(errors[0].field, "variants");
        let doc = br#"{"variants": {"on": true}, "environments": {"production": {"default": {"variant": "on"}}}}"#;
        let Err(ParseError::Invalid(errors)) = parse::<Flag>(doc) else {
            panic!("off_variant is required")
        };
        assert_eq!(errors[0].field, "environments.production.off_variant");
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
