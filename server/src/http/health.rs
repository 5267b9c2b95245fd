//! Liveness, readiness and the Prometheus scrape endpoint — and what every other route
//! answers while the catalog is not loaded yet.
//!
//! Readiness is about what this replica serves, not about whether the store answers
//! right now: evaluations come from memory, so a replica that has loaded the catalog
//! stays ready through a store outage (every replica loses a shared store at once, and
//! all of them must go on answering). Its body says how current it is — the revision it
//! serves, the newest it knows of, and the age of its last contact with the change
//! feed — and with `redis.max_feed_silence` set it turns not-ready once that contact is
//! too old.

use actix_web::{HttpResponse, ResponseError, web};
use serde_json::json;

use super::problem::ApiError;
use crate::service::{App, ServiceError};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/healthz").route(web::get().to(healthz)))
        .service(super::resource("/readyz").route(web::get().to(readyz)))
        .service(super::resource("/metrics").route(web::get().to(metrics)));
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200)))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The catalog is loaded (and, with `redis.max_feed_silence`, the change feed was heard
/// from recently enough); the body says how current what it serves is.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200), (status = 503)))]
pub(crate) async fn readyz(app: web::Data<App>) -> HttpResponse {
    let feed = app.store.feed_status();
    let served = app.hub.revision();
    let age = feed.last_contact.map(|at| at.elapsed());
    let silent_too_long = app
        .settings
        .redis
        .max_feed_silence
        .is_some_and(|max| age.is_none_or(|age| age > max));
    let status = if !app.hub.is_loaded() {
        "loading"
    } else if silent_too_long {
        "stale"
    } else {
        "ready"
    };
    let mut body = json!({
        "status": status,
        "served_revision": served,
        "store_revision": feed.head.max(served),
        "lag": feed.head.saturating_sub(served),
        "age_seconds": age.map(|age| (age.as_secs_f64() * 1000.0).round() / 1000.0),
        "store_available": feed.available,
    });
    if let Some(why) = app.hub.why_not_loaded() {
        body["detail"] = json!(why);
    }
    if status == "ready" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Whether `path` answers before the catalog is loaded.
pub(crate) fn served_while_loading(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// What every other route answers before the catalog is loaded.
pub(crate) fn loading() -> HttpResponse {
    ApiError::from(ServiceError::StoreUnavailable(
        "this replica is starting: the catalog is not loaded yet (see /readyz)".to_owned(),
    ))
    .error_response()
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain")))]
pub(crate) async fn metrics(app: web::Data<App>) -> HttpResponse {
    match app.metrics.render() {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(body),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}
