//! The body of an OFREP evaluation request, `{"context": {…}}`, read straight into a
//! [`Context`] (no intermediate map of `serde_json::Value`s). Pure, so the server's
//! handlers and the fuzz targets read a body the very same way.
//!
//! docs/product.md §4.1 fixes the answers: other members are ignored; an empty body, or a
//! missing or `null` context, means no attributes; a body that is not JSON is a parse
//! error carrying the JSON parser's message; a body that is not a JSON object, a
//! `context` that is not an object, and a context naming an attribute twice are invalid
//! contexts saying which. The admin API refuses duplicate keys too: an attribute given
//! twice is ambiguous (different parsers keep different ones), so it is never guessed.

use std::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Context;

/// Why a body is not an OFREP request with a usable context.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not JSON, or not an OFREP request (`PARSE_ERROR`).
    #[error("the body is not an OFREP request: {0}")]
    Parse(String),
    /// JSON, but no usable context (`INVALID_CONTEXT`).
    #[error("{0}")]
    InvalidContext(ContextProblem),
}

/// What is wrong with the context of a well-formed body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextProblem {
    /// The body is JSON but not an object; names what it was ("an array").
    #[error("the body must be a JSON object such as {{\"context\": {{…}}}}, got {0}")]
    BodyNotAnObject(&'static str),
    /// `context` is not an object; names what it was ("a string").
    #[error("`context` must be a JSON object, got {0}")]
    NotAnObject(&'static str),
    /// `context` names an attribute more than once.
    #[error("`context` names the attribute {0:?} more than once")]
    Duplicate(String),
}

/// The evaluation context of an OFREP request body.
pub fn request_context(body: &[u8]) -> Result<Context, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Context::new());
    }
    let request: Request =
        serde_json::from_slice(body).map_err(|e| RequestError::Parse(e.to_string()))?;
    let problem = match request {
        Request::Object(ContextMember::Object(context)) => return Ok(context),
        Request::Object(ContextMember::Absent) => return Ok(Context::new()),
        Request::Object(ContextMember::Not(what)) => ContextProblem::NotAnObject(what),
        Request::Object(ContextMember::Duplicate(name)) => ContextProblem::Duplicate(name),
        Request::Not(what) => ContextProblem::BodyNotAnObject(what),
    };
    Err(RequestError::InvalidContext(problem))
}

/// The whole body: an object with its `context` member, or something else, named.
enum Request {
    /// `{"context": …, …}`.
    Object(ContextMember),
    /// Any other JSON value ("an array").
    Not(&'static str),
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Request, D::Error> {
        deserializer.deserialize_any(RequestVisitor)
    }
}

struct RequestVisitor;

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = Request;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an OFREP request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Request, A::Error> {
        let mut context = None;
        while let Some(name) = members.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == "context" {
                if context.is_some() {
                    return Err(serde::de::Error::duplicate_field("context"));
                }
                context = Some(members.next_value::<ContextMember>()?);
            } else {
                // Read as a value, not skipped: skipping has no depth limit.
                members.next_value::<Value>()?;
            }
        }
        Ok(Request::Object(context.unwrap_or_default()))
    }

    fn visit_unit<E>(self) -> Result<Request, E> {
        Ok(Request::Not("null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Request, E> {
        Ok(Request::Not("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Request, E> {
        Ok(Request::Not("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Request, E> {
        Ok(Request::Not("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Request, E> {
        Ok(Request::Not("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Request, E> {
        Ok(Request::Not("a string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Request, A::Error> {
        while items.next_element::<Value>()?.is_some() {}
        Ok(Request::Not("an array"))
    }
}

/// What the request's `context` member held. A value of the wrong type is read to its
/// end (so the rest of the body is still checked) and reported after the parse, as
/// `INVALID_CONTEXT` rather than a parse error.
#[derive(Default)]
enum ContextMember {
    /// An object: the attributes.
    Object(Context),
    /// Missing or `null`: no attributes.
    #[default]
    Absent,
    /// Anything else, named as the error names it ("a string").
    Not(&'static str),
    /// An object naming this attribute twice.
    Duplicate(String),
}

impl<'de> Deserialize<'de> for ContextMember {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ContextMember, D::Error> {
        deserializer.deserialize_any(ContextMemberVisitor)
    }
}

struct ContextMemberVisitor;

impl<'de> Visitor<'de> for ContextMemberVisitor {
    type Value = ContextMember;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<ContextMember, A::Error> {
        let mut attributes = Vec::with_capacity(entries.size_hint().unwrap_or(8).min(64));
        while let Some(name) = entries.next_key::<String>()? {
            let value = entries.next_value::<Value>()?;
            attributes.push((name, value));
        }
        Ok(match duplicate(&attributes) {
            Some(name) => ContextMember::Duplicate(name),
            None => ContextMember::Object(Context::from_attributes(attributes)),
        })
    }

    fn visit_unit<E>(self) -> Result<ContextMember, E> {
        Ok(ContextMember::Absent)
    }

    fn visit_none<E>(self) -> Result<ContextMember, E> {
        Ok(ContextMember::Absent)
    }

    fn visit_bool<E>(self, _: bool) -> Result<ContextMember, E> {
        Ok(ContextMember::Not("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<ContextMember, E> {
        Ok(ContextMember::Not("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<ContextMember, E> {
        Ok(ContextMember::Not("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<ContextMember, E> {
        Ok(ContextMember::Not("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<ContextMember, E> {
        Ok(ContextMember::Not("a string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<ContextMember, A::Error> {
        // Read as values, not skipped: skipping has no depth limit, and an array nested
        // too deep must stay the parse error it was.
        while items.next_element::<Value>()?.is_some() {}
        Ok(ContextMember::Not("an array"))
    }
}

/// The first attribute name given more than once, if any. Names in order (as most
/// clients send them) are checked in one pass, without sorting.
fn duplicate(attributes: &[(String, Value)]) -> Option<String> {
    if attributes.is_sorted_by(|a, b| a.0 < b.0) {
        return None;
    }
    let mut names: Vec<&str> = attributes.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names
        .windows(2)
        .find(|pair| pair[0] == pair[1])
        .map(|pair| pair[0].to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn invalid(body: &str) -> ContextProblem {
        match request_context(body.as_bytes()) {
            Err(RequestError::InvalidContext(problem)) => problem,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn the_context_member_becomes_the_attributes_and_the_rest_is_ignored() {
        let context = request_context(br#"{"flags":[1],"context":{"targetingKey":"u","n":2}}"#);
        let context = context.unwrap_or_default();
        assert_eq!(context.targeting_key(), Some(&json!("u")));
        assert_eq!(context.get("n"), Some(&json!(2)));
    }

    #[test]
    fn blank_missing_and_null_mean_no_attributes() {
        for body in ["", " \n", "{}", r#"{"context":null}"#] {
            assert_eq!(
                request_context(body.as_bytes()),
                Ok(Context::new()),
                "{body:?}"
            );
        }
    }

    #[test]
    fn a_context_of_another_type_is_named_and_bad_json_keeps_the_parsers_message() {
        assert_eq!(
            invalid(r#"{"context":[1]}"#),
            ContextProblem::NotAnObject("an array")
        );
        let Err(RequestError::Parse(message)) = request_context(b"{bad") else {
            panic!("not a parse error");
        };
        assert!(message.contains("line 1"), "{message}");
    }

    #[test]
    fn an_attribute_given_twice_is_an_invalid_context_naming_it() {
        assert_eq!(
            invalid(r#"{"context":{"targetingKey":"u","plan":"free","targetingKey":"admin"}}"#),
            ContextProblem::Duplicate("targetingKey".to_owned())
        );
        assert_eq!(
            invalid(r#"{"context":{"b":1,"a":2,"b":3}}"#).to_string(),
            "`context` names the attribute \"b\" more than once"
        );
        assert!(request_context(br#"{"context":{"b":1,"a":2,"c":3}}"#).is_ok());
    }

    #[test]
    fn a_body_that_is_not_an_object_is_an_invalid_context_naming_what_it_was() {
        for (body, what) in [
            ("[]", "an array"),
            (r#"[{"targetingKey":"u"}]"#, "an array"),
            (r#""context""#, "a string"),
            ("42", "a number"),
            ("true", "a boolean"),
            ("null", "null"),
        ] {
            assert_eq!(
                invalid(body),
                ContextProblem::BodyNotAnObject(what),
                "{body}"
            );
        }
        assert!(matches!(
            request_context(b"[1,"),
            Err(RequestError::Parse(_))
        ));
    }

    #[test]
    fn a_context_member_given_twice_stays_a_parse_error() {
        assert!(matches!(
            request_context(br#"{"context":{},"context":{}}"#),
            Err(RequestError::Parse(message)) if message.contains("duplicate field `context`")
        ));
    }
}
