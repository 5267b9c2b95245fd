//! Handlers for the versioned documents of the admin API: environments, flags (with
//! per-environment configuration) and segments. The four operations are written once,
//! for any [`Document`]; each route below only names its kind (and carries its entry
//! in the OpenAPI document). Versions travel as `ETag` / `If-Match`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};
use rollgate_core::model::{Environment, Flag, FlagConfig, Segment};
use serde::{Deserialize, Serialize};

use super::Answer;
use super::extract::{Keyed, KeyedWrite, etag};
use super::problem::Problem;
use crate::infra::store::Kind;
use crate::service::documents::{self, Document};
use crate::service::{App, Principal, ServiceError, WithVersion, flags};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
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

/// Every document of a kind.
async fn list<T: Document>(app: &App, caller: &Principal) -> Answer {
    Ok(HttpResponse::Ok().json(documents::list::<T>(app, caller).await?))
}

/// One document, with its version as `ETag`.
async fn get<T: Document>(app: &App, caller: &Principal, key: &str) -> Answer {
    Ok(document(
        StatusCode::OK,
        &documents::get::<T>(app, caller, key).await?,
    ))
}

/// Creates (`201`) or replaces (`200`) a document.
async fn put<T: Document>(app: &App, write: KeyedWrite) -> Answer {
    let Keyed {
        key,
        caller,
        if_match,
    } = write.target;
    let (doc, created) = documents::put::<T>(app, &caller, &key, &write.body, if_match).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(document(status, &doc))
}

/// Deletes a document: `204`.
async fn delete<T: Document>(app: &App, target: Keyed) -> Answer {
    documents::delete::<T>(app, &target.caller, &target.key, target.if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List flags.
#[utoipa::path(get, path = "/api/v1/flags", tag = "flags",
    responses((status = 200, body = [WithVersion<Flag>]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_flags(app: Data<App>, caller: Principal) -> Answer {
    list::<Flag>(&app, &caller).await
}

/// Read a flag.
#[utoipa::path(get, path = "/api/v1/flags/{key}", tag = "flags", params(("key" = String, Path)),
    responses((status = 200, body = WithVersion<Flag>, headers(("ETag" = String))), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_flag(app: Data<App>, key: Path<String>, caller: Principal) -> Answer {
    get::<Flag>(&app, &caller, &key).await
}

/// Why a flag is written, for the timeline of a release it touches.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagWriteReason {
    /// Why (at most 4 096 bytes). Recorded on the `flag_disabled` / `flag_enabled`
    /// event when the write switches a flag that a running or paused release owns
    /// (the kill switch).
    reason: Option<String>,
}

/// Create a flag (no If-Match) or replace it (If-Match with its version). While a
/// release runs, its flag's configuration in its environment may only be switched off
/// (the kill switch, which pauses the release) or on again; other changes are a `409`.
#[utoipa::path(put, path = "/api/v1/flags/{key}", tag = "flags",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, description = "Version being replaced; required when the flag exists"), FlagWriteReason),
    request_body = Flag,
    responses((status = 200, body = WithVersion<Flag>), (status = 201, body = WithVersion<Flag>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn put_flag(
    app: Data<App>,
    write: KeyedWrite,
    reason: Query<FlagWriteReason>,
) -> Answer {
    let Keyed {
        key,
        caller,
        if_match,
    } = write.target;
    let reason = reason.into_inner().reason;
    let (doc, created) = flags::put(
        &app,
        &caller,
        &key,
        &write.body,
        if_match,
        reason.as_deref(),
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(document(status, &doc))
}

/// Delete a flag (If-Match required).
#[utoipa::path(delete, path = "/api/v1/flags/{key}", tag = "flags",
    params(("key" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn delete_flag(app: Data<App>, target: Keyed) -> Answer {
    flags::delete(&app, &target.caller, &target.key, target.if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read one environment's configuration of a flag.
#[utoipa::path(get, path = "/api/v1/flags/{key}/environments/{environment}", tag = "flags",
    params(("key" = String, Path), ("environment" = String, Path)),
    responses((status = 200, body = FlagConfig, headers(("ETag" = String, description = "The flag's version"))), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_flag_environment(
    app: Data<App>,
    path: Path<(String, String)>,
    caller: Principal,
) -> Answer {
    let (key, environment) = path.into_inner();
    let flag = documents::get::<Flag>(&app, &caller, &key).await?;
    let config = flag
        .doc
        .environments
        .get(&environment)
        .ok_or_else(|| ServiceError::NotFound {
            kind: Kind::Environment,
            key: format!("{key}/{environment}"),
        })?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(flag.version)))
        .json(config))
}

/// Replace one environment's configuration of a flag (If-Match: the flag's version).
/// While a release runs, only `enabled` may change for its environment: `false` is the
/// kill switch (the release pauses), `true` switches the flag back on.
#[utoipa::path(put, path = "/api/v1/flags/{key}/environments/{environment}", tag = "flags",
    params(("key" = String, Path), ("environment" = String, Path), ("If-Match" = String, Header), FlagWriteReason),
    request_body = FlagConfig,
    responses((status = 200, body = WithVersion<Flag>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn put_flag_environment(
    app: Data<App>,
    write: KeyedWrite<(String, String)>,
    reason: Query<FlagWriteReason>,
) -> Answer {
    let Keyed {
        key: (key, environment),
        caller,
        if_match,
    } = write.target;
    let body = &write.body;
    let reason = reason.into_inner().reason;
    let flag = flags::put_environment(
        &app,
        &caller,
        &key,
        &environment,
        body,
        if_match,
        reason.as_deref(),
    )
    .await?;
    Ok(document(StatusCode::OK, &flag))
}

/// Remove one environment's configuration of a flag (If-Match: the flag's version).
#[utoipa::path(delete, path = "/api/v1/flags/{key}/environments/{environment}", tag = "flags",
    params(("key" = String, Path), ("environment" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = WithVersion<Flag>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn delete_flag_environment(
    app: Data<App>,
    target: Keyed<(String, String)>,
) -> Answer {
    let (key, environment) = &target.key;
    let flag =
        flags::delete_environment(&app, &target.caller, key, environment, target.if_match).await?;
    Ok(document(StatusCode::OK, &flag))
}

/// List segments.
#[utoipa::path(get, path = "/api/v1/segments", tag = "segments",
    responses((status = 200, body = [WithVersion<Segment>]), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn list_segments(app: Data<App>, caller: Principal) -> Answer {
    list::<Segment>(&app, &caller).await
}

/// Read a segment.
#[utoipa::path(get, path = "/api/v1/segments/{key}", tag = "segments", params(("key" = String, Path)),
    responses((status = 200, body = WithVersion<Segment>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn get_segment(app: Data<App>, key: Path<String>, caller: Principal) -> Answer {
    get::<Segment>(&app, &caller, &key).await
}

/// Create or replace a segment (`general` cannot be changed).
#[utoipa::path(put, path = "/api/v1/segments/{key}", tag = "segments",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)), request_body = Segment,
    responses((status = 200, body = WithVersion<Segment>), (status = 201, body = WithVersion<Segment>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn put_segment(app: Data<App>, write: KeyedWrite) -> Answer {
    put::<Segment>(&app, write).await
}

/// Delete a segment no flag uses (If-Match required; built-in rings cannot be deleted).
#[utoipa::path(delete, path = "/api/v1/segments/{key}", tag = "segments",
    params(("key" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn delete_segment(app: Data<App>, target: Keyed) -> Answer {
    delete::<Segment>(&app, target).await
}

/// List environments.
#[utoipa::path(get, path = "/api/v1/environments", tag = "environments",
    responses((status = 200, body = [WithVersion<Environment>]), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn list_environments(app: Data<App>, caller: Principal) -> Answer {
    list::<Environment>(&app, &caller).await
}

/// Read an environment.
#[utoipa::path(get, path = "/api/v1/environments/{key}", tag = "environments", params(("key" = String, Path)),
    responses((status = 200, body = WithVersion<Environment>), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn get_environment(
    app: Data<App>,
    key: Path<String>,
    caller: Principal,
) -> Answer {
    get::<Environment>(&app, &caller, &key).await
}

/// Create or replace an environment (admin).
#[utoipa::path(put, path = "/api/v1/environments/{key}", tag = "environments",
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)), request_body = Environment,
    responses((status = 200, body = WithVersion<Environment>), (status = 201, body = WithVersion<Environment>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn put_environment(app: Data<App>, write: KeyedWrite) -> Answer {
    put::<Environment>(&app, write).await
}

/// Delete an unused environment (admin; If-Match required).
#[utoipa::path(delete, path = "/api/v1/environments/{key}", tag = "environments",
    params(("key" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn delete_environment(app: Data<App>, target: Keyed) -> Answer {
    delete::<Environment>(&app, target).await
}
