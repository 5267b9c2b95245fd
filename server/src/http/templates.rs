//! Handlers for release templates (docs/release-plan.md, "Templates"):
//! `/api/v1/templates` and `/api/v1/templates/{name}`. Versions travel as `ETag` /
//! `If-Match`, as for every document.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path};
use rollgate_core::release::Template;

use super::Answer;
use super::extract::{JsonBody, Keyed, KeyedWrite, etag};
use super::problem::Problem;
use crate::service::{App, Principal, WithVersion, templates};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            super::resource("/api/v1/templates")
                .route(web::get().to(list_templates))
                .route(web::post().to(create_template)),
        )
        .service(
            super::resource("/api/v1/templates/{name}")
                .route(web::get().to(get_template))
                .route(web::put().to(replace_template))
                .route(web::delete().to(delete_template)),
        );
}

fn template(status: StatusCode, template: &WithVersion<Template>) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(template.version)))
        .json(template)
}

/// List release templates.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    responses((status = 200, body = [WithVersion<Template>]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_templates(app: Data<App>, caller: Principal) -> Answer {
    Ok(HttpResponse::Ok().json(templates::list(&app, &caller).await?))
}

/// Create a release template: a plan's standard parts (stages, analysis, KPIs, watch,
/// group, sign-offs, tasks, resources, risks) under a name; `409` when the name is
/// taken.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates",
    request_body = Template,
    responses((status = 201, body = WithVersion<Template>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn create_template(
    app: Data<App>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> Answer {
    let created = templates::create(&app, &caller, &body).await?;
    Ok(template(StatusCode::CREATED, &created))
}

/// Read a release template.
#[utoipa::path(get, path = "/api/v1/templates/{name}", tag = "templates", params(("name" = String, Path)),
    responses((status = 200, body = WithVersion<Template>, headers(("ETag" = String))), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_template(app: Data<App>, name: Path<String>, caller: Principal) -> Answer {
    Ok(template(
        StatusCode::OK,
        &templates::get(&app, &caller, &name).await?,
    ))
}

/// Replace a release template (If-Match required). Releases already created from it
/// keep their plans.
#[utoipa::path(put, path = "/api/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path), ("If-Match" = Option<String>, Header, description = "The version being replaced; without it the answer is 428")), request_body = Template,
    responses((status = 200, body = WithVersion<Template>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn replace_template(app: Data<App>, write: KeyedWrite) -> Answer {
    let Keyed {
        key,
        caller,
        if_match,
    } = write.target;
    let replaced = templates::replace(&app, &caller, &key, &write.body, if_match).await?;
    Ok(template(StatusCode::OK, &replaced))
}

/// Delete a release template (If-Match required).
#[utoipa::path(delete, path = "/api/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path), ("If-Match" = Option<String>, Header, description = "The version being replaced; without it the answer is 428")),
    responses((status = 204), (status = "4XX", body = Problem)), security(("admin_token" = [])))]
pub(crate) async fn delete_template(app: Data<App>, target: Keyed) -> Answer {
    templates::delete(&app, &target.caller, &target.key, target.if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
