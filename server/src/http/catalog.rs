//! Handlers for the whole catalog as one document: export and import.

use actix_web::HttpResponse;
use actix_web::web::{self, Data};

use super::Answer;
use super::extract::JsonBody;
use super::problem::Problem;
use crate::service::catalog::{self, CatalogDocument, ImportOutcome};
use crate::service::{App, Principal};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(
        super::resource("/api/v1/catalog")
            .route(web::get().to(export_catalog))
            .route(web::post().to(import_catalog)),
    );
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
