//! Handlers for tokens (issue, list, revoke) and the audit log.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};
use serde::Deserialize;

use super::Answer;
use super::extract::JsonBody;
use super::problem::{ApiError, Problem};
use super::request_error::RequestError;
use crate::infra::store::AuditEvent;
use crate::service::tokens::{IssuedTokenView, NewToken, TokenView};
use crate::service::{App, Principal};
use crate::service::{audit, tokens};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            super::resource("/api/v1/tokens")
                .route(web::get().to(list_tokens))
                .route(web::post().to(create_token)),
        )
        .service(
            super::resource("/api/v1/tokens/{id}")
                .route(web::get().to(get_token))
                .route(web::delete().to(revoke_token)),
        )
        .service(super::resource("/api/v1/audit").route(web::get().to(list_audit)));
}

/// Issue an SDK key or an admin token; the secret is in the response, once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = IssuedTokenView), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn create_token(
    app: Data<App>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> Answer {
    let issued = tokens::create(&app, &caller, &body).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Cache-Control", "no-store"))
        .json(issued))
}

/// List tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = [TokenView]), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn list_tokens(app: Data<App>, caller: Principal) -> Answer {
    Ok(HttpResponse::Ok().json(tokens::list(&app, &caller).await?))
}

/// Read a token (never its secret).
#[utoipa::path(get, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 200, body = TokenView), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn get_token(app: Data<App>, id: Path<String>, caller: Principal) -> Answer {
    Ok(HttpResponse::Ok().json(tokens::get(&app, &caller, &id).await?))
}

/// Revoke a token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn revoke_token(app: Data<App>, id: Path<String>, caller: Principal) -> Answer {
    tokens::revoke(&app, &caller, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Filters of the audit log. The numbers are read as text so that a bad one is named.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Only this kind of document (`flag`, `segment`, `environment`, `token`, …).
    kind: Option<String>,
    /// Only this document (with `kind`).
    key: Option<String>,
    /// Only events before this revision (paging backwards: the last revision of the
    /// previous page). A page never splits a revision.
    #[param(value_type = Option<u64>)]
    before: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// A number from the query string, or a 400 naming the parameter.
fn number<T: std::str::FromStr>(
    name: &'static str,
    text: Option<String>,
) -> Result<Option<T>, ApiError> {
    text.map(|text| {
        text.parse()
            .map_err(|_| RequestError::NotANumber { name, text }.into())
    })
    .transpose()
}

/// Read the audit log, newest first: who changed what, when, before → after.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = [AuditEvent]), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn list_audit(
    app: Data<App>,
    caller: Principal,
    // After the caller, so an anonymous caller learns nothing but 401.
    params: Query<AuditParams>,
) -> Answer {
    let AuditParams {
        kind,
        key,
        before,
        limit,
    } = params.into_inner();
    let before = number("before", before)?;
    let limit = number("limit", limit)?;
    Ok(HttpResponse::Ok()
        .json(audit::list(&app, &caller, kind.as_deref(), key, before, limit).await?))
}
