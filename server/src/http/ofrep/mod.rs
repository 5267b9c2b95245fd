//! OFREP, the OpenFeature Remote Evaluation Protocol: single and bulk evaluation for any
//! OpenFeature SDK, authenticated by an SDK key.
//!
//! The hot path reads the environment's published snapshot (an `ArcSwap` load), parses
//! the context, evaluates and writes the response: no lock, no store call, no `.await`
//! after the body is read. Error bodies always carry `errorCode` and `errorDetails`,
//! as strict clients require.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use rollgate_core::evaluate::evaluate_all;
use rollgate_core::{Context, ErrorCode, Evaluation, evaluate};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use self::request::read_context;
use super::RouteLabel;
use super::extract::{Bounds, guarded};
use super::origin;
use super::problem::{evaluation_status, ofrep_response};
use super::rate::RateLimiter;
use super::request_error::RequestError;
use crate::infra::hub::Served;
use crate::service::App;
use crate::service::Forbidden;
use crate::service::Principal;

mod error;
mod request;

pub(crate) use error::OfrepError;

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    // The static paths before the dynamic one, which the router matches with a regular
    // expression.
    config
        .service(resource("/ofrep/v1/evaluate/flags").route(web::post().to(evaluate_flags)))
        .service(resource("/ofrep/v1/configuration").route(web::get().to(configuration)))
        .service(resource("/ofrep/v1/evaluate/flags/{key}").route(web::post().to(evaluate_flag)))
        .service(
            web::resource("/ofrep/{tail:.*}")
                .app_data(RouteLabel::new("/ofrep/{tail:.*}"))
                .to(unknown_path),
        );
}

/// Any other path under `/ofrep/`, answered in OFREP's error shape: a flag key with a `/`
/// in it (which no flag has) is `FLAG_NOT_FOUND` for an authenticated caller, anything
/// else a plain `404`.
async fn unknown_path(
    app: web::Data<App>,
    limiter: web::Data<RateLimiter>,
    req: HttpRequest,
) -> HttpResponse {
    let tail = req.match_info().get("tail").unwrap_or_default();
    let Some(key) = tail.strip_prefix("v1/evaluate/flags/") else {
        return ofrep_response(&OfrepError::NoEndpoint(req.path().to_owned()), None);
    };
    let refused = match snapshot_for(&app, &req, &limiter) {
        Err(error) => error,
        Ok(_) => OfrepError::KeyWithSlash(key.to_owned()),
    };
    ofrep_response(&refused, Some(key))
}

/// An OFREP resource whose other methods answer `405` in OFREP's error shape (clients
/// read `errorCode` and `errorDetails` from every error), with `Allow` listing the
/// methods the OpenAPI document gives the route (as for the admin API).
fn resource(path: &str) -> actix_web::Resource {
    let allowed = super::openapi::allowed_methods(path);
    web::resource(path)
        .app_data(RouteLabel::new(path))
        .default_service(web::to(move |req: HttpRequest| async move {
            let refused = OfrepError::Method(RequestError::MethodNotAllowed {
                method: req.method().to_string(),
                path: req.path().to_owned(),
                allowed,
            });
            ofrep_response(&refused, None)
        }))
}

/// The environment's snapshot for the SDK key of `req`, and the key.
fn snapshot_for(
    app: &App,
    req: &HttpRequest,
    limiter: &RateLimiter,
) -> Result<(Arc<Served>, Principal), OfrepError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let principal = guarded(req, || app.tokens.authenticate(header)).map(Principal::new)?;
    let Some(environment) = principal.evaluation_environment() else {
        return Err(Forbidden::AdminEvaluates.into());
    };
    principal.check_origin(origin_of(req))?;
    if let Err(retry_after) = limiter.check(principal.id()) {
        return Err(OfrepError::RateLimited { retry_after });
    }
    let served = app
        .hub
        .snapshot(environment)
        .ok_or_else(|| Forbidden::EnvironmentGone(environment.to_owned()))?;
    Ok((served, principal))
}

/// The `Origin` header of `req`: the page that sent it, when a browser did.
pub(super) fn origin_of(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|origin| origin.to_str().ok())
}

/// One evaluation as OFREP writes it.
struct Evaluated<'a> {
    key: &'a str,
    evaluation: &'a Evaluation<'a>,
}

impl Serialize for Evaluated<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.evaluation;
        match (e.error, e.value) {
            (None, Some(value)) => {
                let mut s = serializer.serialize_struct("Evaluation", 5)?;
                s.serialize_field("key", self.key)?;
                s.serialize_field("value", value)?;
                s.serialize_field("variant", e.variant.unwrap_or_default())?;
                s.serialize_field("reason", e.reason.as_str())?;
                s.serialize_field(
                    "metadata",
                    &Metadata {
                        shadow_variant: e.shadow_variant,
                    },
                )?;
                s.end()
            }
            (code, _) => {
                let mut s = serializer.serialize_struct("Failure", 3)?;
                s.serialize_field("key", self.key)?;
                s.serialize_field("errorCode", code.unwrap_or(ErrorCode::General).as_str())?;
                s.serialize_field(
                    "errorDetails",
                    e.error_details.as_deref().unwrap_or("evaluation failed"),
                )?;
                s.end()
            }
        }
    }
}

impl Evaluated<'_> {
    /// The serialized evaluation, to be shared (see [`Served::answer`]).
    fn to_bytes(&self) -> Option<Bytes> {
        serde_json::to_vec(self).ok().map(Bytes::from)
    }
}

/// An evaluation's metadata: empty, except for a dark launch (`shadow` release), where
/// `shadowVariant` names the variant the caller would have had.
struct Metadata<'a> {
    shadow_variant: Option<&'a str>,
}

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(usize::from(self.shadow_variant.is_some())))?;
        if let Some(variant) = self.shadow_variant {
            map.serialize_entry("shadowVariant", variant)?;
        }
        map.end()
    }
}

/// `Content-Type: application/json`, made without parsing it again on every answer.
fn json_type() -> header::HeaderValue {
    header::HeaderValue::from_static("application/json")
}

fn json(status: StatusCode, body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, json_type()))
        .body(body)
}

/// OFREP single-flag evaluation.
#[utoipa::path(post, path = "/ofrep/v1/evaluate/flags/{key}", tag = "ofrep", params(("key" = String, Path)),
    request_body(content = Object, description = "`{ \"context\": { \"targetingKey\": \"user-1\", … } }`"),
    responses((status = 200, description = "key, value, variant, reason, metadata"),
              (status = 400, description = "errorCode PARSE_ERROR, TARGETING_KEY_MISSING or INVALID_CONTEXT"),
              (status = 404, description = "errorCode FLAG_NOT_FOUND"), (status = 401), (status = 403), (status = 429)),
    security(("sdk_key" = [])))]
pub(crate) async fn evaluate_flag(
    app: web::Data<App>,
    limiter: web::Data<RateLimiter>,
    req: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let served = match snapshot_for(&app, &req, &limiter) {
        Ok((served, _)) => served,
        Err(error) => return ofrep_response(&error, Some(&key)),
    };
    let context = match read_context(req.headers(), payload, Bounds::ofrep(&app)).await {
        Ok((context, _)) => context,
        Err(error) => return ofrep_response(&error, Some(&key)),
    };
    let evaluation = evaluate(&served.snapshot, &key, &context);
    served.count(&evaluation);
    let status = evaluation.error.map_or(StatusCode::OK, evaluation_status);
    let evaluated = Evaluated {
        key: &key,
        evaluation: &evaluation,
    };
    if let Some(answer) = served.answer(&evaluation, || evaluated.to_bytes()) {
        return json(status, Bytes::clone(answer));
    }
    match serde_json::to_vec(&evaluated) {
        Ok(body) => json(status, body),
        Err(error) => ofrep_response(&error.into(), Some(&key)),
    }
}

/// The bulk answer, `{"flags":[…],"eventStreams":[…]}`: each successful evaluation is the
/// shared answer of its flag, variant and reason (see [`Served::answer`]); only failures
/// and dark launches are serialized here.
fn bulk_body(
    served: &Served,
    context: &Context,
    event_stream: Option<&str>,
) -> Result<Vec<u8>, serde_json::Error> {
    let evaluations = evaluate_all(&served.snapshot, context);
    let mut body = Vec::with_capacity(16 + evaluations.len() * 96);
    body.extend_from_slice(br#"{"flags":["#);
    for (i, (key, evaluation)) in evaluations.enumerate() {
        if i > 0 {
            body.push(b',');
        }
        served.count(&evaluation);
        let evaluated = Evaluated {
            key,
            evaluation: &evaluation,
        };
        match served.answer(&evaluation, || evaluated.to_bytes()) {
            Some(answer) => body.extend_from_slice(answer),
            None => serde_json::to_writer(&mut body, &evaluated)?,
        }
    }
    body.push(b']');
    if let Some(url) = event_stream {
        body.extend_from_slice(br#","eventStreams":"#);
        serde_json::to_writer(
            &mut body,
            &[EventStream {
                kind: "sse",
                url,
                inactivity_delay_sec: 120,
            }],
        )?;
    }
    body.push(b'}');
    Ok(body)
}

/// An entry of the bulk response's `eventStreams` (OFREP ADR 0008).
#[derive(Serialize)]
struct EventStream<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
    #[serde(rename = "inactivityDelaySec")]
    inactivity_delay_sec: u32,
}

/// Where web clients get change notifications: the OFREP event stream under this
/// server's URL (`public_url`, else as [`origin::absolute_url`] finds it: never from
/// headers a client can forge, since the URL carries the credential), authenticated
/// by the key's stream credential because `EventSource` cannot send an `Authorization`
/// header.
fn event_stream_url(app: &App, req: &HttpRequest, principal: &Principal) -> Option<String> {
    let token = app.tokens.stream_credential(principal.record())?;
    Some(format!(
        "{}/ofrep/v1/event-stream?token={token}",
        origin::absolute_url(req, &app.settings)
    ))
}

/// The bulk ETag: the snapshot's revision and a hash of the request body (the context).
fn bulk_etag(revision: u64, body: &[u8]) -> String {
    let mut hasher = rustc_hash::FxHasher::default();
    body.hash(&mut hasher);
    format!("\"{revision}-{:016x}\"", hasher.finish())
}

pub(super) fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        })
}

/// OFREP bulk evaluation: every flag of the SDK key's environment for one context.
#[utoipa::path(post, path = "/ofrep/v1/evaluate/flags", tag = "ofrep",
    params(("If-None-Match" = Option<String>, Header)),
    request_body(content = Object, description = "`{ \"context\": { … } }`"),
    responses((status = 200, description = "`{ \"flags\": [ … ] }` with an ETag"), (status = 304),
              (status = 400, description = "errorCode PARSE_ERROR or INVALID_CONTEXT"), (status = 401), (status = 403), (status = 429)),
    security(("sdk_key" = [])))]
pub(crate) async fn evaluate_flags(
    app: web::Data<App>,
    limiter: web::Data<RateLimiter>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (served, principal) = match snapshot_for(&app, &req, &limiter) {
        Ok(found) => found,
        Err(error) => return ofrep_response(&error, None),
    };
    let (context, body) = match read_context(req.headers(), payload, Bounds::ofrep(&app)).await {
        Ok(parsed) => parsed,
        Err(error) => return ofrep_response(&error, None),
    };
    if context
        .targeting_key()
        .is_some_and(|k| !(k.is_string() || k.is_null()))
    {
        return ofrep_response(&OfrepError::TargetingKeyNotString, None);
    }
    let etag = bulk_etag(served.snapshot.revision(), &body);
    if none_match(req.headers(), &etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    match bulk_body(
        &served,
        &context,
        event_stream_url(&app, &req, &principal).as_deref(),
    ) {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CONTENT_TYPE, json_type()))
            .body(body),
        Err(error) => ofrep_response(&error.into(), None),
    }
}

/// OFREP provider configuration: what this server supports.
#[utoipa::path(get, path = "/ofrep/v1/configuration", tag = "ofrep",
    responses((status = 200, description = "name and capabilities"), (status = 401), (status = 403), (status = 429)),
    security(("sdk_key" = [])))]
pub(crate) async fn configuration(
    app: web::Data<App>,
    limiter: web::Data<RateLimiter>,
    req: HttpRequest,
) -> HttpResponse {
    if let Err(error) = snapshot_for(&app, &req, &limiter) {
        return ofrep_response(&error, None);
    }
    HttpResponse::Ok().json(serde_json::json!({
        "name": "rollgate",
        "capabilities": {
            "cacheInvalidation": { "polling": { "enabled": true, "minPollingIntervalMs": 1000 } },
            "flagEvaluation": { "supportedTypes": ["boolean", "string", "int", "float", "object"] }
        }
    }))
}
