//! Reading an OFREP request: the body, bounded by `limits.max_context_bytes`, and the
//! evaluation context in it, parsed straight into a [`Context`] by
//! `rollgate_core::ofrep` (no intermediate map of `serde_json::Value`s; the fuzz target
//! `ofrep_request` reads bodies through the same function).
//!
//! What the caller is told is fixed by docs/product.md §4.1: a body that is not JSON or not an
//! OFREP request (`{"context": {…}}`, other members ignored, an empty body or a missing
//! or `null` context meaning no attributes) is `400 PARSE_ERROR` with the JSON parser's
//! own message; a body or a `context` that is not an object, or a context naming an
//! attribute twice, is `400 INVALID_CONTEXT` saying which; a body over the limit is
//! `413`.

use actix_web::http::header::HeaderMap;
use actix_web::web;
use bytes::Bytes;
use rollgate_core::Context;
use rollgate_core::ofrep::{self};

use super::OfrepError;
use crate::http::extract::{BodyError, Bounds, read_bounded};

/// Reads the body (bounded) and parses the evaluation context out of it.
pub(super) async fn read_context(
    headers: &HeaderMap,
    payload: web::Payload,
    bounds: Bounds,
) -> Result<(Context, Bytes), OfrepError> {
    let body = read_bounded(headers, payload, bounds)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => OfrepError::TooLarge(bounds.limit),
            BodyError::TimedOut => OfrepError::TimedOut(bounds.timeout),
            BodyError::Read(e) => OfrepError::Unreadable(e),
        })?;
    let context = parse_context(&body)?;
    Ok((context, body))
}

/// The evaluation context of an OFREP request body ([`ofrep::request_context`]).
pub(super) fn parse_context(body: &[u8]) -> Result<Context, OfrepError> {
    Ok(ofrep::request_context(body)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use actix_web::http::StatusCode;
    use serde::Deserialize;
    use serde_json::{Map, Value, json};

    use super::*;

    /// The parser this module replaced: the body into a `Value`, then the context from
    /// its map. Every answer of the new one must be the same, message included.
    fn through_a_map(body: &[u8]) -> Result<Context, (StatusCode, &'static str, String)> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Context::new());
        }
        #[derive(Deserialize)]
        struct Request {
            #[serde(default)]
            context: Value,
        }
        let request: Request = serde_json::from_slice(body).map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                "PARSE_ERROR",
                format!("the body is not an OFREP request: {e}"),
            )
        })?;
        let what = match request.context {
            Value::Object(map) => return Ok(Context::from(map)),
            Value::Null => return Ok(Context::new()),
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
        };
        Err((
            StatusCode::BAD_REQUEST,
            "INVALID_CONTEXT",
            format!("`context` must be a JSON object, got {what}"),
        ))
    }

    fn parsed(body: &str) -> Result<Context, (StatusCode, &'static str, String)> {
        parse_context(body.as_bytes()).map_err(|error| {
            let (status, code) = crate::http::problem::ofrep_parts(&error);
            (status, code.as_str(), error.to_string())
        })
    }

    fn same_as_before(body: &str) -> Result<Context, (StatusCode, &'static str, String)> {
        let now = parsed(body);
        assert_eq!(now, through_a_map(body.as_bytes()), "{body}");
        now
    }

    #[test]
    fn a_context_object_becomes_the_attributes() {
        let context = same_as_before(
            r#"{"context":{"targetingKey":"u","plan":"pro","orders":3,"tags":["a"],"x":{"y":null}},"other":1}"#,
        )
        .unwrap();
        assert_eq!(context.targeting_key(), Some(&json!("u")));
        assert_eq!(context.get("orders"), Some(&json!(3)));
        assert_eq!(context.get("x"), Some(&json!({ "y": null })));
        assert_eq!(context.len(), 5);
    }

    #[test]
    fn an_empty_body_a_missing_or_null_context_is_no_attributes() {
        for body in [
            "",
            "  \n",
            "{}",
            r#"{"context":null}"#,
            r#"{"flags":[1,{"a":2}]}"#,
        ] {
            assert_eq!(same_as_before(body), Ok(Context::new()), "{body:?}");
        }
    }

    #[test]
    fn a_name_given_twice_is_an_invalid_context() {
        let (status, code, details) =
            parsed(r#"{"context":{"plan":"free","targetingKey":"u","plan":"pro"}}"#).unwrap_err();
        assert_eq!((status, code), (StatusCode::BAD_REQUEST, "INVALID_CONTEXT"));
        assert_eq!(
            details,
            "`context` names the attribute \"plan\" more than once"
        );
    }

    #[test]
    fn a_context_that_is_not_an_object_is_invalid_context_naming_its_type() {
        for (context, what) in [
            ("true", "a boolean"),
            ("42", "a number"),
            ("-1", "a number"),
            ("1.5e3", "a number"),
            (r#""user-1""#, "a string"),
            (r#""esc\"aped""#, "a string"),
            ("[]", "an array"),
            (r#"["u",{"a":[1]}]"#, "an array"),
        ] {
            let body = format!(r#"{{"context":{context},"after":1}}"#);
            let (status, code, details) = same_as_before(&body).unwrap_err();
            assert_eq!((status, code), (StatusCode::BAD_REQUEST, "INVALID_CONTEXT"));
            assert_eq!(
                details,
                format!("`context` must be a JSON object, got {what}")
            );
        }
    }

    #[test]
    fn a_body_that_is_not_an_ofrep_request_is_a_parse_error_with_the_parsers_message() {
        for body in [
            "{bad",
            r#"{"context": {"targetingKey": "u"}"#,
            "nul",
            r#"{"context":{"a":}}"#,
            r#"{"context":{"a":1,}}"#,
            r#"{"context":{"a":1}} trailing"#,
            r#"{"context":{},"context":{}}"#,
            r#"{"context":[1,}"#,
            r#"{"context":"a" "b"}"#,
            r#"{"context":5, bad}"#,
            r#"{"context":{"n":1e400}}"#,
            r#"{"context":{"s":"\ud800"}}"#,
        ] {
            let Err((status, code, details)) = same_as_before(body) else {
                panic!("{body} was read as a request");
            };
            assert_eq!(
                (status, code),
                (StatusCode::BAD_REQUEST, "PARSE_ERROR"),
                "{body}"
            );
            assert!(
                details.starts_with("the body is not an OFREP request: "),
                "{details}"
            );
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_an_invalid_context() {
        for (body, what) in [
            (r#"[{"targetingKey":"u"}]"#, "an array"),
            ("[]", "an array"),
            (r#""context""#, "a string"),
            ("42", "a number"),
        ] {
            let (status, code, details) = parsed(body).unwrap_err();
            assert_eq!((status, code), (StatusCode::BAD_REQUEST, "INVALID_CONTEXT"));
            assert_eq!(
                details,
                format!(
                    "the body must be a JSON object such as {{\"context\": {{…}}}}, got {what}"
                )
            );
        }
    }

    #[test]
    fn deeply_nested_attributes_hit_the_parsers_depth_limit_as_before() {
        let deep = format!(
            r#"{{"context":{{"a":{}1{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let (_, code, _) = same_as_before(&deep).unwrap_err();
        assert_eq!(code, "PARSE_ERROR");
        let deep_array = format!(r#"{{"context":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
        let (_, code, details) = same_as_before(&deep_array).unwrap_err();
        assert_eq!(code, "PARSE_ERROR", "{details}");
        let map: Map<String, Value> = serde_json::from_str(r#"{"a":[[1]]}"#).unwrap();
        assert_eq!(
            parsed(r#"{"context":{"a":[[1]]}}"#).unwrap(),
            Context::from(map)
        );
    }
}
