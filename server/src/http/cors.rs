//! CORS for the evaluation routes only: a web page on another origin (the OpenFeature
//! web SDK with its OFREP provider) may evaluate flags when `cors.allowed_origins` lets
//! its origin in. Only OFREP (`/ofrep/…`, its event stream included) and the SDK sync
//! routes (`/sdk/v1/…`) ever answer CORS: the admin API and everything else never do,
//! so no page a browser visits can drive the admin API with a token it holds.
//!
//! No cookie or other ambient credential authenticates these routes (keys travel in
//! `Authorization`, or in the event stream's URL), so CORS never allows credentials:
//! what it opens is exactly what a script outside a browser could already do with the
//! key. Preflights are answered here, before routing and authentication (browsers send
//! them without credentials), and cached by the browser for [`MAX_AGE`].

use actix_web::HttpResponse;
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

use crate::infra::config::AllowedOrigins;

/// How long a browser may reuse a preflight's answer, in seconds: two hours, the most
/// Chromium honours.
const MAX_AGE: &str = "7200";

/// The methods the evaluation routes have.
const METHODS: &str = "GET, POST";

/// The request headers their clients send beyond the CORS-safelisted ones: the key,
/// the JSON body's type, the bulk evaluation's `ETag` and an event stream's resume point.
const REQUEST_HEADERS: &str = "Authorization, Content-Type, If-None-Match, Last-Event-ID";

/// The response headers scripts may read: the bulk evaluation's `ETag` (sent back in
/// `If-None-Match`) and the `Retry-After` of a rate-limited key.
const EXPOSED: &str = "ETag, Retry-After";

/// What CORS does to one request.
pub(super) enum Cors {
    /// Nothing: not an evaluation route, or CORS is off.
    Untouched,
    /// An evaluation route; `allow` is the `Access-Control-Allow-Origin` to send, if
    /// the request's origin is allowed, and `vary` whether the answer depends on it.
    Evaluation {
        allow: Option<HeaderValue>,
        vary: bool,
    },
    /// A preflight from an allowed origin, answered without routing.
    Preflight(HeaderValue),
}

/// Does `path` belong to the routes browsers may call from other origins?
fn evaluation_route(path: &str) -> bool {
    path.starts_with("/ofrep/") || path.starts_with("/sdk/v1/")
}

/// What CORS does to `request` under `allowed`.
pub(super) fn classify(request: &ServiceRequest, allowed: &AllowedOrigins) -> Cors {
    if *allowed == AllowedOrigins::None || !evaluation_route(request.path()) {
        return Cors::Untouched;
    }
    let vary = matches!(allowed, AllowedOrigins::Listed(_));
    let allow = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .filter(|origin| allowed.allows(origin))
        .and_then(|origin| match allowed {
            AllowedOrigins::Any => Some(HeaderValue::from_static("*")),
            _ => HeaderValue::from_str(origin).ok(),
        });
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    match allow {
        Some(allow) if preflight => Cors::Preflight(allow),
        allow => Cors::Evaluation { allow, vary },
    }
}

/// The answer to a preflight from an allowed origin.
pub(super) fn preflight(allow: HeaderValue) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, allow))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, REQUEST_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE))
        .insert_header((header::VARY, "Origin"))
        .finish()
}

/// Adds CORS headers to an evaluation route's answer, whatever its status: a page must
/// be able to read a `401` or `404` to report it.
pub(super) fn decorate(headers: &mut HeaderMap, cors: Cors) {
    let Cors::Evaluation { allow, vary } = cors else {
        return;
    };
    if vary {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(allow) = allow {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
    }
}
