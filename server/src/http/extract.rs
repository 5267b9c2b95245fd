//! Request extraction shared by the admin handlers: the caller, `If-Match`, and a JSON
//! body read under the configured size limit.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::problem::ApiError;
use crate::admin::IfMatch;
use crate::auth::Principal;
use crate::state::App;

/// The caller behind the `Authorization` header.
pub fn principal(app: &App, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    Ok(app.tokens.authenticate(header)?)
}

/// `If-Match: "3"`, `If-Match: 3`, `If-Match: W/"3"` or `If-Match: *`.
pub fn if_match(headers: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<u64>().map(|v| Some(IfMatch::Version(v))).map_err(|_| {
        ApiError::request(
            StatusCode::BAD_REQUEST,
            "bad-header",
            format!("If-Match must be a document version such as \"3\" (the ETag of a GET), got {text:?}"),
            Some("If-Match"),
        )
    })
}

/// The `ETag` value for a document version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// Reads a JSON request body of at most `limit` bytes.
pub async fn json_body(
    headers: &HeaderMap,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or("").trim();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(ApiError::request(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!(
                    "request bodies are JSON; send Content-Type: application/json, not {essence:?}"
                ),
                Some("Content-Type"),
            ));
        }
    }
    let too_large = || {
        ApiError::request(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            format!(
                "the request body is larger than the limit of {limit} bytes (limits.max_body_bytes)"
            ),
            None,
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::request(
                StatusCode::BAD_REQUEST,
                "bad-body",
                format!("could not read the request body: {e}"),
                None,
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
