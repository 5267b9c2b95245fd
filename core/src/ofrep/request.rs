//! The body of an OFREP evaluation request, `{"context": {…}}`, read straight into a
//! [`Context`] (no intermediate map of `serde_json::Value`s). Pure, so the server's
//! handlers and the fuzz targets read a body the very same way.
//!
//! docs/product.md §4.1 fixes the answers: other members are ignored; an empty body, or a
//! missing or `null` context, means no attributes; a body that is not JSON or not such
//! an object is a parse error carrying the JSON parser's message; a `context` that is
//! not an object is an invalid context naming what it was.

use std::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::Context;

/// Why a body is not an OFREP request with a usable context.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not JSON, or not an OFREP request (`PARSE_ERROR`).
    #[error("the body is not an OFREP request: {0}")]
    Parse(String),
    /// `context` is not an object (`INVALID_CONTEXT`); names what it was ("a string").
    #[error("`context` must be a JSON object, got {0}")]
    InvalidContext(&'static str),
}

/// The evaluation context of an OFREP request body.
pub fn request_context(body: &[u8]) -> Result<Context, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Context::new());
    }
    #[derive(Deserialize)]
    struct Request {
        #[serde(default)]
        context: ContextMember,
    }
    let request: Request =
        serde_json::from_slice(body).map_err(|e| RequestError::Parse(e.to_string()))?;
    match request.context {
        ContextMember::Object(context) => Ok(context),
        ContextMember::Absent => Ok(Context::new()),
        ContextMember::Not(what) => Err(RequestError::InvalidContext(what)),
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

    fn visit_map<A: MapAccess<'de>>(self, entries: A) -> Result<ContextMember, A::Error> {
        Context::from_entries(entries).map(ContextMember::Object)
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
        while items.next_element::<serde_json::Value>()?.is_some() {}
        Ok(ContextMember::Not("an array"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
            request_context(br#"{"context":[1]}"#),
            Err(RequestError::InvalidContext("an array"))
        );
        let Err(RequestError::Parse(message)) = request_context(b"{bad") else {
            panic!("not a parse error");
        };
        assert!(message.contains("line 1"), "{message}");
    }
}
