//! SDK sync over HTTP (docs/product.md §4.2): the environment's ruleset with `ETag`, the
//! Server-Sent Events stream of its changes, exposure reports — all authenticated by an
//! SDK key — and OFREP's notification stream for web clients (ADR 0008), authenticated
//! by the stream credential in its URL (see `stream::credential`).
//!
//! The handlers only authenticate, call into `stream`, and map; the stream bodies are
//! `stream::Subscription`s, whose bytes were built once per publication.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use rollgate_core::protocol::exposure::{Recorded, Report};
use serde::Deserialize;

use super::extract::{JsonBody, SdkKey, caller, guarded};
use super::problem::{ApiError, Problem};
use super::request_error::RequestError;
use crate::infra::stream::{Flavor, Subscription, credential, exposures};
use crate::service::{App, Principal};
use crate::service::{Forbidden, ServiceError};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/sdk/v1/ruleset").route(web::get().to(ruleset)))
        .service(super::resource("/sdk/v1/stream").route(web::get().to(stream)))
        .service(super::resource("/sdk/v1/exposures").route(web::post().to(report_exposures)))
        .service(super::resource("/ofrep/v1/event-stream").route(web::get().to(event_stream)));
}

fn environment_gone(environment: &str) -> ApiError {
    Forbidden::EnvironmentGone(environment.to_owned()).into()
}

/// The full ruleset of the SDK key's environment.
#[utoipa::path(get, path = "/sdk/v1/ruleset", tag = "sdk",
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of the ruleset you hold")),
    responses((status = 200, description = "`{ environment, revision, flags, segments }`; ETag is the revision", content_type = "application/json"),
              (status = 304), (status = "4XX", body = Problem)),
    security(("sdk_key" = [])))]
pub(crate) async fn ruleset(
    app: web::Data<App>,
    req: HttpRequest,
    SdkKey { environment, .. }: SdkKey,
) -> Result<HttpResponse, ApiError> {
    let head = app
        .hub
        .streams()
        .head(&environment)
        .ok_or_else(|| environment_gone(&environment))?;
    if super::ofrep::none_match(req.headers(), &head.etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, head.etag.as_str()))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, head.etag.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("application/json")
        .body(head.ruleset.clone()))
}

/// `Last-Event-ID`: the revision of the last event the client processed.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| RequestError::LastEventId(text.to_owned()).into())
}

fn event_stream_response(subscription: Subscription) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(subscription)
}

/// The stream of the SDK key's environment: a `ruleset` event, then a `change` event per
/// change with `id` = revision, heartbeat comments in between. With `Last-Event-ID` it
/// resumes after that revision (or starts over with a `ruleset` event when that is too
/// old). A client that falls behind is dropped: its stream ends, and it resumes.
#[utoipa::path(get, path = "/sdk/v1/stream", tag = "sdk",
    params(("Last-Event-ID" = Option<String>, Header, description = "Revision of the last event processed")),
    responses((status = 200, description = "Server-Sent Events: `ruleset`, then `change` events", content_type = "text/event-stream"),
              (status = 429, description = "Too many streams for this SDK key (Retry-After)", body = Problem),
              (status = "4XX", body = Problem)),
    security(("sdk_key" = [])))]
pub(crate) async fn stream(
    app: web::Data<App>,
    req: HttpRequest,
    SdkKey {
        principal,
        environment,
    }: SdkKey,
) -> Result<HttpResponse, ApiError> {
    let resume = last_event_id(req.headers())?;
    let subscription =
        app.hub
            .streams()
            .subscribe(&environment, principal.id(), resume, Flavor::Sdk)?;
    Ok(event_stream_response(subscription))
}

/// Query of the OFREP event stream.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventStreamParams {
    /// The stream credential from `eventStreams[].url` (or send the SDK key as a bearer
    /// token instead).
    token: Option<String>,
}

/// OFREP change notifications for web clients (ADR 0008): a `message` event with
/// `{"type":"refetchEvaluation","etag":"\"<revision>\""}` whenever the environment's
/// flags change. The URL comes from the bulk evaluation's `eventStreams`; its `token`
/// authenticates it, since `EventSource` cannot send headers.
#[utoipa::path(get, path = "/ofrep/v1/event-stream", tag = "ofrep", params(EventStreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Revision of the last event processed")),
    responses((status = 200, description = "Server-Sent Events: `refetchEvaluation` messages", content_type = "text/event-stream"),
              (status = 429, description = "Too many streams for this SDK key", body = Problem), (status = "4XX", body = Problem)))]
pub(crate) async fn event_stream(
    app: web::Data<App>,
    req: HttpRequest,
    params: web::Query<EventStreamParams>,
) -> Result<HttpResponse, ApiError> {
    let principal = match &params.token {
        Some(token) => Principal::new(guarded(&req, || credential::verify(&app.tokens, token))?),
        None => caller(&app, &req)?,
    };
    principal.check_origin(super::ofrep::origin_of(&req))?;
    let environment = principal
        .evaluation_environment()
        .ok_or(Forbidden::NotSdkKey)?;
    let key_id = principal.id();
    let resume = last_event_id(req.headers())?;
    let subscription = app
        .hub
        .streams()
        .subscribe(environment, key_id, resume, Flavor::Notify)?;
    Ok(event_stream_response(subscription))
}

/// Report exposures counted by an SDK since its last report; they are added to
/// `rollgate_evaluations_total`. Entries naming flags or variants not served here are
/// not counted and are listed in `unknown`.
#[utoipa::path(post, path = "/sdk/v1/exposures", tag = "sdk", request_body = Report,
    responses((status = 200, body = Recorded), (status = "4XX", body = Problem)),
    security(("sdk_key" = [])))]
pub(crate) async fn report_exposures(
    app: web::Data<App>,
    SdkKey { environment, .. }: SdkKey,
    JsonBody(body): JsonBody,
) -> Result<HttpResponse, ApiError> {
    let served = app
        .hub
        .snapshot(&environment)
        .ok_or_else(|| environment_gone(&environment))?;
    let recorded = exposures::record(&served, &body).map_err(ServiceError::from)?;
    Ok(HttpResponse::Ok().json(recorded))
}
