//! Request extraction shared by the handlers: the caller, `If-Match`, and a body read
//! under a size limit (a JSON body for the admin API; OFREP reads its own through
//! [`read_limited`]).

use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::problem::ApiError;
use super::request_error::RequestError;
use crate::service::App;
use crate::service::IfMatch;
use crate::service::Principal;

/// The caller behind the `Authorization` header.
pub fn principal(app: &App, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    Ok(Principal::new(app.tokens.authenticate(header)?))
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
    bare.parse::<u64>()
        .map(|v| Some(IfMatch::Version(v)))
        .map_err(|_| RequestError::IfMatch(text.to_owned()).into())
}

/// The `ETag` value for a document version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// Reads a JSON request body of at most `limit` bytes.
pub async fn json_body(
    headers: &HeaderMap,
    payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or("").trim();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(RequestError::NotJson(essence.to_owned()).into());
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(RequestError::TooLarge(limit).into());
    }
    read_limited(payload, limit).await.map_err(|e| {
        match e {
            BodyError::TooLarge => RequestError::TooLarge(limit),
            BodyError::Read(e) => RequestError::Unreadable(e),
        }
        .into()
    })
}

/// Why a body was not read whole.
#[derive(Debug)]
pub enum BodyError {
    /// It is longer than the limit.
    TooLarge,
    /// The connection failed while it was read.
    Read(PayloadError),
}

/// How much more of an oversized body is read (and dropped) before the `413` goes out:
/// a client still sending would otherwise see its connection reset instead of the answer.
const DRAIN_BYTES: usize = 1 << 20;

/// The whole body, at most `limit` bytes (the admin API's and OFREP's). A body that
/// arrives in one chunk (the usual case for a small request) is kept as that chunk,
/// without copying; one over the limit is drained (up to [`DRAIN_BYTES`] more).
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Bytes, BodyError> {
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(BodyError::Read)?;
        let read = joined.as_ref().map_or(first.len(), BytesMut::len);
        if read + chunk.len() > limit {
            drain(payload, DRAIN_BYTES).await;
            return Err(BodyError::TooLarge);
        }
        match &mut joined {
            Some(body) => body.extend_from_slice(&chunk),
            None if first.is_empty() => first = chunk,
            None => {
                let mut body = BytesMut::with_capacity(first.len() + chunk.len());
                body.extend_from_slice(&first);
                body.extend_from_slice(&chunk);
                joined = Some(body);
            }
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}

/// Reads and drops up to `budget` more bytes of the body.
async fn drain(mut payload: web::Payload, mut budget: usize) {
    while budget > 0 {
        match payload.next().await {
            Some(Ok(chunk)) => budget = budget.saturating_sub(chunk.len()),
            _ => return,
        }
    }
}
