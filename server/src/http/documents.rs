//! Handlers for the versioned documents of the admin API: environments, flags (with
//! per-environment configuration) and segments. Each one extracts, calls the admin
//! service, and maps the result; versions travel as `ETag` / `If-Match`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use rollgate_core::model::{Environment, Flag, FlagConfig, Segment};
use serde::Serialize;

use super::extract::{etag, if_match, json_body, principal};
use super::problem::{ApiError, Problem};
use crate::service::App;
use crate::service::{WithVersion, environments, flags, segments};

/// Registers the routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/api/v1/flags").route(web::get().to(list_flags)))
        .service(
            super::resource("/api/v1/flags/{key}")
                .route(web::get().to(get_flag))
                .route(web::put().to(put_flag))
                .route(web::delete().to(delete_flag)),
        )
        .service(
            super::resource("/api/v1/flags/{key}/environments/{environment}")
                .route(web::get().to(get_flag_environment))
                .route(web::put().to(put_flag_environment))
                .route(web::delete().to(delete_flag_environment)),
        )
        .service(super::resource("/api/v1/segments").route(web::get().to(list_segments)))
        .service(
            super::resource("/api/v1/segments/{key}")
                .route(web::get().to(get_segment))
                .route(web::put().to(put_segment))
                .route(web::delete().to(delete_segment)),
        )
        .service(super::resource("/api/v1/environments").route(web::get().to(list_environments)))
        .service(
            super::resource("/api/v1/environments/{key}")
                .route(web::get().to(get_environment))
                .route(web::put().to(put_environment))
                .route(web::delete().to(delete_environment)),
        );
}

/// A document response with its version as `ETag`.
fn document<T: Serialize>(status: StatusCode, doc: &WithVersion<T>) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(doc.version)))
        .json(doc)
}

fn written<T: Serialize>((doc, created): (WithVersion<T>, bool)) -> HttpResponse {
    document(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &doc,
    )
}

/// List flags.
#[utoipa::path(get, path = "/api/v1/flags", tag = "flags",
    responses((status = 200, body = [WithVersion<Flag>]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn list_flags(app: web::Data<App>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(HttpResponse::Ok().json(flags::list(&app, &principal).await?))
}

/// Read a flag.
#[utoipa::path(get, path = "/api/v1/flags/{key}", tag = "flags", params(("key" = String, Path)),
    responses((status = 200, body = WithVersion<Flag>, headers(("ETag" = String))), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn get_flag(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(document(
        StatusCode::OK,
        &flags::get(&app, &principal, &key).await?,
    ))
}

/// Create a flag (no If-Match) or replace it (If-Match with its version).
#[utoipa::path(put, path = "/api/v1/flags/{key}", tag = "flags",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, description = "Version being replaced; required when the flag exists")),
    request_body = Flag,
    responses((status = 200, body = WithVersion<Flag>), (status = 201, body = WithVersion<Flag>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn put_flag(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let if_match = if_match(req.headers())?;
    let body = json_body(req.headers(), payload, app.settings.limits.max_body_bytes).await?;
    Ok(written(
        flags::put(&app, &principal, &key, &body, if_match).await?,
    ))
}

/// Delete a flag (If-Match required).
#[utoipa::path(delete, path = "/api/v1/flags/{key}", tag = "flags",
    params(("key" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn delete_flag(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    flags::delete(&app, &principal, &key, if_match(req.headers())?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read one environment's configuration of a flag.
#[utoipa::path(get, path = "/api/v1/flags/{key}/environments/{environment}", tag = "flags",
    params(("key" = String, Path), ("environment" = String, Path)),
    responses((status = 200, body = FlagConfig, headers(("ETag" = String, description = "The flag's version"))), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn get_flag_environment(
    app: web::Data<App>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let (key, environment) = path.into_inner();
    let flag = flags::get(&app, &principal, &key).await?;
    let config = flag.doc.environments.get(&environment).ok_or_else(|| {
        ApiError::Service(crate::service::ServiceError::NotFound {
            kind: crate::infra::store::Kind::Environment,
            key: format!("{key}/{environment}"),
        })
    })?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(flag.version)))
        .json(config))
}

/// Replace one environment's configuration of a flag (If-Match: the flag's version).
#[utoipa::path(put, path = "/api/v1/flags/{key}/environments/{environment}", tag = "flags",
    params(("key" = String, Path), ("environment" = String, Path), ("If-Match" = String, Header)),
    request_body = FlagConfig,
    responses((status = 200, body = WithVersion<Flag>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn put_flag_environment(
    app: web::Data<App>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let if_match = if_match(req.headers())?;
    let body = json_body(req.headers(), payload, app.settings.limits.max_body_bytes).await?;
    let (key, environment) = path.into_inner();
    let flag =
        flags::put_environment(&app, &principal, &key, &environment, &body, if_match).await?;
    Ok(document(StatusCode::OK, &flag))
}

/// Remove one environment's configuration of a flag (If-Match: the flag's version).
#[utoipa::path(delete, path = "/api/v1/flags/{key}/environments/{environment}", tag = "flags",
    params(("key" = String, Path), ("environment" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = WithVersion<Flag>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn delete_flag_environment(
    app: web::Data<App>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let (key, environment) = path.into_inner();
    let flag = flags::delete_environment(
        &app,
        &principal,
        &key,
        &environment,
        if_match(req.headers())?,
    )
    .await?;
    Ok(document(StatusCode::OK, &flag))
}

/// List segments.
#[utoipa::path(get, path = "/api/v1/segments", tag = "segments",
    responses((status = 200, body = [WithVersion<Segment>]), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn list_segments(
    app: web::Data<App>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(HttpResponse::Ok().json(segments::list(&app, &principal).await?))
}

/// Read a segment.
#[utoipa::path(get, path = "/api/v1/segments/{key}", tag = "segments", params(("key" = String, Path)),
    responses((status = 200, body = WithVersion<Segment>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn get_segment(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(document(
        StatusCode::OK,
        &segments::get(&app, &principal, &key).await?,
    ))
}

/// Create or replace a segment (`general` cannot be changed).
#[utoipa::path(put, path = "/api/v1/segments/{key}", tag = "segments",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)), request_body = Segment,
    responses((status = 200, body = WithVersion<Segment>), (status = 201, body = WithVersion<Segment>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn put_segment(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let if_match = if_match(req.headers())?;
    let body = json_body(req.headers(), payload, app.settings.limits.max_body_bytes).await?;
    Ok(written(
        segments::put(&app, &principal, &key, &body, if_match).await?,
    ))
}

/// Delete a segment no flag uses (If-Match required; built-in rings cannot be deleted).
#[utoipa::path(delete, path = "/api/v1/segments/{key}", tag = "segments",
    params(("key" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn delete_segment(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    segments::delete(&app, &principal, &key, if_match(req.headers())?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List environments.
#[utoipa::path(get, path = "/api/v1/environments", tag = "environments",
    responses((status = 200, body = [WithVersion<Environment>]), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn list_environments(
    app: web::Data<App>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(HttpResponse::Ok().json(environments::list(&app, &principal).await?))
}

/// Read an environment.
#[utoipa::path(get, path = "/api/v1/environments/{key}", tag = "environments", params(("key" = String, Path)),
    responses((status = 200, body = WithVersion<Environment>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn get_environment(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    Ok(document(
        StatusCode::OK,
        &environments::get(&app, &principal, &key).await?,
    ))
}

/// Create or replace an environment (admin).
#[utoipa::path(put, path = "/api/v1/environments/{key}", tag = "environments",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)), request_body = Environment,
    responses((status = 200, body = WithVersion<Environment>), (status = 201, body = WithVersion<Environment>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub async fn put_environment(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    let if_match = if_match(req.headers())?;
    let body = json_body(req.headers(), payload, app.settings.limits.max_body_bytes).await?;
    Ok(written(
        environments::put(&app, &principal, &key, &body, if_match).await?,
    ))
}

/// Delete an unused environment (admin; If-Match required).
#[utoipa::path(delete, path = "/api/v1/environments/{key}", tag = "environments",
    params(("key" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub async fn delete_environment(
    app: web::Data<App>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = principal(&app, req.headers())?;
    environments::delete(&app, &principal, &key, if_match(req.headers())?).await?;
    Ok(HttpResponse::NoContent().finish())
}
