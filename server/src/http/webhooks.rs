//! Handlers for webhook subscriptions and their delivery log.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::extract::{etag, if_match, json_body, principal};
use super::problem::{ApiError, Problem};
use crate::service::App;
use crate::service::WithVersion;
use crate::service::webhooks::{
    self, CreatedSubscription, Delivery, SubscriptionRequest, SubscriptionView,
};

/// Registers the routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            super::resource("/api/v1/webhooks")
                .route(web::get().to(list_webhooks))
                .route(web::post().to(create_webhook)),
        )
        .service(
            super::resource("/api/v1/webhooks/{id}")
                .route(web::get().to(get_webhook))
                .route(web::put().to(replace_webhook))
                .route(web::delete().to(delete_webhook)),
        )
        .service(
            super::resource("/api/v1/webhooks/{id}/deliveries")
                .route(web::get().to(list_deliveries)),
        );
}

/// Subscribe a URL to release events (admin). The signing secret is in the response,
/// once: deliveries carry `Rollgate-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = SubscriptionRequest,
    responses((status = 201, body = CreatedSubscription), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn create_webhook(
    app: web::Data<App>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let body = json_body(req.headers(), payload, app.settings.limits.max_body_bytes).await?;
    let created = webhooks::create(&app, &principal, &body).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// List subscriptions (never their secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = [WithVersion<SubscriptionView>]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn list_webhooks(
    app: web::Data<App>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(HttpResponse::Ok().json(webhooks::list(&app, &principal).await?))
}

/// Read a subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WithVersion<SubscriptionView>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn get_webhook(
    app: web::Data<App>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let found = webhooks::get(&app, &principal, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(found.version)))
        .json(found))
}

/// Replace a subscription (admin, If-Match required); a left-out secret is kept.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path), ("If-Match" = String, Header)), request_body = SubscriptionRequest,
    responses((status = 200, body = WithVersion<SubscriptionView>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn replace_webhook(
    app: web::Data<App>,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (principal, if_match, body) = super::releases::write_parts(&app, &req, payload).await?;
    let replaced = webhooks::replace(&app, &principal, &id, &body, if_match).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(replaced.version)))
        .json(replaced))
}

/// Delete a subscription (admin, If-Match required).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn delete_webhook(
    app: web::Data<App>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    webhooks::delete(&app, &principal, &id, if_match(req.headers())?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a subscription, newest first: every attempt with its status.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = [Delivery]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn list_deliveries(
    app: web::Data<App>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(HttpResponse::Ok().json(webhooks::delivery_log(&app, &principal, &id).await?))
}
