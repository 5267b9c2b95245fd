//! Handlers for the whole catalog as one document (export and import), and for flagd
//! flag-definition files in and out of one environment.

use actix_web::HttpResponse;
use actix_web::web::{self, Data, Query};

use super::Answer;
use super::extract::JsonBody;
use super::problem::Problem;
use crate::service::catalog::{self, CatalogDocument, ImportOutcome};
use crate::service::flagd::{self, ExportParams, FlagdExport, FlagdImport, ImportParams};
use crate::service::{App, Principal};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            super::resource("/api/v1/catalog")
                .route(web::get().to(export_catalog))
                .route(web::post().to(import_catalog)),
        )
        .service(super::resource("/api/v1/import/flagd").route(web::post().to(import_flagd)))
        .service(super::resource("/api/v1/export/flagd").route(web::get().to(export_flagd)));
}

/// Every environment, segment and flag, as served now, in one document (a backup).
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog",
    responses((status = 200, body = CatalogDocument), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn export_catalog(app: Data<App>, caller: Principal) -> Answer {
    Ok(HttpResponse::Ok().json(catalog::export(&app, &caller)?))
}

/// Writes every document of a catalog document in one commit, after validating all of
/// them: all or nothing. Documents it does not name are left as they are.
#[utoipa::path(post, path = "/api/v1/catalog", tag = "catalog", request_body = CatalogDocument,
    responses((status = 200, body = ImportOutcome), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn import_catalog(
    app: Data<App>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> Answer {
    Ok(HttpResponse::Ok().json(catalog::import(&app, &caller, &body).await?))
}

/// Imports a flagd flag-definition file into one environment: its flags, and segments
/// made from its shared evaluators, in one commit. Anything the file says that Rollgate
/// cannot state is a `422` listing each problem with its JSON path, and nothing is
/// written; `dry_run` answers what would be written.
#[utoipa::path(post, path = "/api/v1/import/flagd", tag = "catalog", params(ImportParams),
    request_body(content = Object, description = "A flagd flag-definition file"),
    responses((status = 200, body = FlagdImport), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn import_flagd(
    app: Data<App>,
    caller: Principal,
    params: Query<ImportParams>,
    JsonBody(body): JsonBody,
) -> Answer {
    Ok(HttpResponse::Ok().json(flagd::import(&app, &caller, &params, &body).await?))
}

/// One environment's flags as a flagd flag-definition file (`flagd`), and the flags left
/// out because flagd cannot state them, each with why (`left_out`).
#[utoipa::path(get, path = "/api/v1/export/flagd", tag = "catalog", params(ExportParams),
    responses((status = 200, body = FlagdExport), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn export_flagd(
    app: Data<App>,
    caller: Principal,
    params: Query<ExportParams>,
) -> Answer {
    Ok(HttpResponse::Ok().json(flagd::export(&app, &caller, &params)?))
}
