//! What handlers take from a request besides its path and query, as extractors so that
//! a handler's arguments say what it needs and its body only what differs:
//!
//! - [`Principal`]: the caller behind `Authorization` (401 without a valid token, 429
//!   when its address failed too often: see [`super::guard`]);
//! - [`SdkKey`]: a caller that must be an SDK key, with its environment;
//! - [`Precondition`]: the version `If-Match` names (428 for `*`, which names none; 400
//!   when it is not a version);
//! - [`JsonBody`]: the body, declared JSON, at most `limits.max_body_bytes` long and
//!   arrived within `limits.read_timeout`.
//!
//! Actix creates every extractor of a handler, then awaits them in the order of its
//! arguments and answers the first refusal; handlers list the caller before the
//! precondition and the precondition before the body, so an anonymous request learns
//! nothing but 401. OFREP reads its own body through [`read_bounded`], with the same
//! bounds: a declared `Content-Length` over the limit is refused before anything is
//! read, and a body that has not arrived in time is answered `408`, so no client holds
//! a connection by sending slowly.

use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::guard::{Guard, Refused};
use super::problem::ApiError;
use super::request_error::RequestError;
use crate::infra::auth::Unauthenticated;
use crate::service::{App, IfMatch, Principal};

/// The server's state, as the handlers' `web::Data<App>` extracts it.
fn app(req: &HttpRequest) -> Result<web::Data<App>, actix_web::Error> {
    web::Data::<App>::extract(req).into_inner()
}

/// The caller behind the `Authorization` header of `req`, through the [`Guard`] that
/// throttles failures per client address.
pub(super) fn caller(app: &App, req: &HttpRequest) -> Result<Principal, ApiError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    Ok(Principal::new(guarded(req, || {
        app.tokens.authenticate(header)
    })?))
}

/// `verify`, behind the request's [`Guard`] (every server has one; without it, as in
/// handler tests, unguarded).
pub(super) fn guarded<T>(
    req: &HttpRequest,
    verify: impl FnOnce() -> Result<T, Unauthenticated>,
) -> Result<T, Refused> {
    match req.app_data::<web::Data<Guard>>() {
        Some(guard) => guard.check(req, verify),
        None => verify().map_err(Refused::Unauthenticated),
    }
}

impl FromRequest for Principal {
    type Error = actix_web::Error;
    type Future = Ready<Result<Principal, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(app(req).and_then(|app| Ok(caller(&app, req)?)))
    }
}

/// A caller that must be an SDK key (the SDK's sync), and the environment it is bound to.
pub(super) struct SdkKey {
    /// The key's caller.
    pub principal: Principal,
    /// The key's environment.
    pub environment: String,
}

impl SdkKey {
    /// The SDK key behind the `Authorization` header of `req`.
    pub(super) fn of(app: &App, req: &HttpRequest) -> Result<SdkKey, ApiError> {
        let principal = caller(app, req)?;
        let environment = principal.sdk_environment()?.to_owned();
        Ok(SdkKey {
            principal,
            environment,
        })
    }
}

impl FromRequest for SdkKey {
    type Error = actix_web::Error;
    type Future = Ready<Result<SdkKey, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(app(req).and_then(|app| Ok(SdkKey::of(&app, req)?)))
    }
}

/// What a write's `If-Match` says: nothing, or the version it replaces.
pub(super) struct Precondition(pub Option<IfMatch>);

impl FromRequest for Precondition {
    type Error = actix_web::Error;
    type Future = Ready<Result<Precondition, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            if_match(req.headers())
                .map(Precondition)
                .map_err(Into::into),
        )
    }
}

/// `If-Match: "3"`, `If-Match: 3` or `If-Match: W/"3"`. `*` ("whatever version there
/// is") would let a write replace a version its author never saw: refused.
fn if_match(headers: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Err(RequestError::IfMatchAny.into());
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<u64>()
        .map(|v| Some(IfMatch::Version(v)))
        .map_err(|_| RequestError::IfMatch(text.to_owned()).into())
}

/// The `ETag` value for a document version.
pub(super) fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A request body declared as JSON (or sent without a type) and at most
/// `limits.max_body_bytes` long; services parse it.
pub(super) struct JsonBody(pub Bytes);

impl JsonBody {
    /// Reads the body of a request with `headers` from `payload`, within the admin
    /// API's [`Bounds`].
    pub(super) async fn read(
        headers: &HeaderMap,
        payload: web::Payload,
        bounds: Bounds,
    ) -> Result<Bytes, ApiError> {
        if let Some(kind) = headers.get(header::CONTENT_TYPE) {
            let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = kind.split(';').next().unwrap_or("").trim();
            if !(essence == "application/json" || essence.ends_with("+json")) {
                return Err(RequestError::NotJson(essence.to_owned()).into());
            }
        }
        read_bounded(headers, payload, bounds).await.map_err(|e| {
            match e {
                BodyError::TooLarge => RequestError::TooLarge(bounds.limit),
                BodyError::TimedOut => RequestError::TimedOut(bounds.timeout),
                BodyError::Read(e) => RequestError::Unreadable(e),
            }
            .into()
        })
    }
}

impl FromRequest for JsonBody {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<JsonBody, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers().clone();
        let bounds = app(req).map(|app| Bounds::admin(&app));
        let payload = web::Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            let body = JsonBody::read(&headers, payload?, bounds?).await?;
            Ok(JsonBody(body))
        })
    }
}

/// How much of a body is read, and for how long.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// Most bytes.
    pub limit: usize,
    /// The whole body must have arrived within this (`limits.read_timeout`).
    pub timeout: Duration,
}

impl Bounds {
    /// The admin API's (and exposure reports'): `limits.max_body_bytes`.
    pub(crate) fn admin(app: &App) -> Bounds {
        Bounds {
            limit: app.settings.limits.max_body_bytes,
            timeout: app.settings.limits.read_timeout,
        }
    }

    /// OFREP's: `limits.max_context_bytes`.
    pub(crate) fn ofrep(app: &App) -> Bounds {
        Bounds {
            limit: app.settings.limits.max_context_bytes,
            timeout: app.settings.limits.read_timeout,
        }
    }
}

/// A change to the resource a path names: its key (or keys, e.g. `(String, usize)`),
/// then — checked in this order — the caller and `If-Match`.
pub(super) struct Keyed<K = String> {
    /// The key in the path.
    pub key: K,
    /// Who changes it.
    pub caller: Principal,
    /// What `If-Match` says.
    pub if_match: Option<IfMatch>,
}

impl<K: DeserializeOwned + 'static> FromRequest for Keyed<K> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Keyed<K>, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(web::Path<K>, Principal, Precondition)>::from_request(req, payload);
        Box::pin(async move {
            let (key, caller, Precondition(if_match)) = parts.await?;
            Ok(Keyed {
                key: key.into_inner(),
                caller,
                if_match,
            })
        })
    }
}

/// A [`Keyed`] change with a JSON body, read last.
pub(super) struct KeyedWrite<K = String> {
    /// The key, the caller and `If-Match`.
    pub target: Keyed<K>,
    pub body: Bytes,
}

impl<K: DeserializeOwned + 'static> FromRequest for KeyedWrite<K> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<KeyedWrite<K>, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(Keyed<K>, JsonBody)>::from_request(req, payload);
        Box::pin(async move {
            let (target, JsonBody(body)) = parts.await?;
            Ok(KeyedWrite { target, body })
        })
    }
}

/// Why a body was not read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is (or says it is) longer than the limit.
    TooLarge,
    /// It did not arrive within the timeout.
    TimedOut,
    /// The connection failed while it was read.
    Read(PayloadError),
}

/// The whole body of a request with `headers`, within `bounds`: a declared
/// `Content-Length` over the limit is refused before a byte is read, and a body still
/// arriving when the timeout passes is given up on.
pub(crate) async fn read_bounded(
    headers: &HeaderMap,
    payload: web::Payload,
    bounds: Bounds,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > bounds.limit as u64) {
        return Err(BodyError::TooLarge);
    }
    tokio::time::timeout(bounds.timeout, read_limited(payload, bounds.limit))
        .await
        .unwrap_or(Err(BodyError::TimedOut))
}

/// How much more of an oversized body is read (and dropped) before the `413` goes out:
/// a client still sending would otherwise see its connection reset instead of the answer.
const DRAIN_BYTES: usize = 1 << 20;

/// The whole body, at most `limit` bytes (the admin API's and OFREP's). A body that
/// arrives in one chunk (the usual case for a small request) is kept as that chunk,
/// without copying; one over the limit is drained (up to [`DRAIN_BYTES`] more).
async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Bytes, BodyError> {
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
