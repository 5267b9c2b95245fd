//! Liveness, readiness and the Prometheus scrape endpoint.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::service::App;

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

/// The store answers and the ruleset is loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200), (status = 503)))]
pub(crate) async fn readyz(app: web::Data<App>) -> HttpResponse {
    match app.store.revision().await {
        Ok(store_revision) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "store_revision": store_revision,
            "served_revision": app.hub.revision(),
        })),
        Err(error) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "detail": error.to_string() })),
    }
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
