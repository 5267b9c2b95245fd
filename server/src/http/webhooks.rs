//! Handlers for webhook subscriptions and their delivery log.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::extract::{JsonBody, Keyed, KeyedWrite, etag};
use super::problem::{ApiError, Problem};
use crate::service::WithVersion;
use crate::service::webhooks::{
    self, CreatedSubscription, Delivery, SubscriptionRequest, SubscriptionView,
};
use crate::service::{App, Principal};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
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
pub(crate) async fn create_webhook(
    app: web::Data<App>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> Result<HttpResponse, ApiError> {
    let created = webhooks::create(&app, &caller, &body).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// List subscriptions (never their secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = [WithVersion<SubscriptionView>]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_webhooks(
    app: web::Data<App>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(webhooks::list(&app, &caller).await?))
}

/// Read a subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WithVersion<SubscriptionView>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_webhook(
    app: web::Data<App>,
    id: web::Path<String>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    let found = webhooks::get(&app, &caller, &id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(found.version)))
        .json(found))
}

/// Replace a subscription (admin, If-Match required); a left-out secret is kept.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path), ("If-Match" = String, Header)), request_body = SubscriptionRequest,
    responses((status = 200, body = WithVersion<SubscriptionView>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn replace_webhook(
    app: web::Data<App>,
    write: KeyedWrite,
) -> Result<HttpResponse, ApiError> {
    let target = &write.target;
    let replaced = webhooks::replace(
        &app,
        &target.caller,
        &target.key,
        &write.body,
        target.if_match,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(replaced.version)))
        .json(replaced))
}

/// Delete a subscription (admin, If-Match required).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn delete_webhook(
    app: web::Data<App>,
    target: Keyed,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete(&app, &target.caller, &target.key, target.if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a subscription, newest first: every attempt with its status.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = [Delivery]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_deliveries(
    app: web::Data<App>,
    id: web::Path<String>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(webhooks::delivery_log(&app, &caller, &id).await?))
}
