//! Handlers for releases (docs/release-plan.md): create, list, read, replace a plan, the
//! preview of a start, and the actions — `submit`, `approve`, `start`, `pause`, `resume`, `promote`, `rollback`,
//! `cancel`, `percent`, `checklist/{index}`, `incidents`. Each answers with the release
//! and its version as `ETag`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};
use serde::Deserialize;

use super::Answer;
use super::extract::{JsonBody, Keyed, KeyedWrite, etag};
use super::problem::Problem;
use super::request_error::RequestError;
use crate::service::WithVersion;
use crate::service::releases::{
    self, Action, ActionRequest, ChecklistRequest, IncidentRequest, PercentRequest, Release,
    StartPreview,
};
use crate::service::{App, Principal};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            super::resource("/api/v1/releases")
                .route(web::get().to(list_releases))
                .route(web::post().to(create_release)),
        )
        .service(
            super::resource("/api/v1/releases/{id}")
                .route(web::get().to(get_release))
                .route(web::put().to(replace_release)),
        )
        .service(
            super::resource("/api/v1/releases/{id}/preview").route(web::get().to(preview_start)),
        )
        .service(
            super::resource("/api/v1/releases/{id}/percent").route(web::post().to(set_percent)),
        )
        .service(
            super::resource("/api/v1/releases/{id}/incidents").route(web::post().to(log_incident)),
        )
        .service(
            super::resource("/api/v1/releases/{id}/checklist/{index}")
                .route(web::post().to(check_item)),
        )
        .service(super::resource("/api/v1/releases/{id}/{action}").route(web::post().to(act)));
}

fn release(status: StatusCode, release: &WithVersion<Release>) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("ETag", etag(release.version)))
        .json(release)
}

/// A change to a release that its id, `If-Match` and a body fully describe.
#[derive(Clone, Copy)]
enum Change {
    /// Replace the plan.
    Plan,
    /// Set the percentage.
    Percent,
    /// Log an incident.
    Incident,
}

/// Applies `change` and answers with the release.
async fn change(app: &App, write: KeyedWrite, change: Change) -> Answer {
    let Keyed {
        key,
        caller,
        if_match,
    } = write.target;
    let body = &write.body;
    let done = match change {
        Change::Plan => releases::replace(app, &caller, &key, body, if_match).await?,
        Change::Percent => releases::set_percent(app, &caller, &key, body, if_match).await?,
        Change::Incident => releases::log_incident(app, &caller, &key, body, if_match).await?,
    };
    Ok(release(StatusCode::OK, &done))
}

/// Filters of the release list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleaseFilter {
    /// Only releases in this state (`draft`, `pending_approval`, `approved`, `running`,
    /// `paused`, `completed`, `rolled_back`, `cancelled`).
    state: Option<String>,
    /// Only releases of this environment.
    environment: Option<String>,
}

/// List releases.
#[utoipa::path(get, path = "/api/v1/releases", tag = "releases", params(ReleaseFilter),
    responses((status = 200, body = [WithVersion<Release>]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_releases(
    app: Data<App>,
    filter: Query<ReleaseFilter>,
    caller: Principal,
) -> Answer {
    let list = releases::list(
        &app,
        &caller,
        filter.state.as_deref(),
        filter.environment.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Create a release from a plan; it starts as a `draft`.
#[utoipa::path(post, path = "/api/v1/releases", tag = "releases",
    request_body = rollgate_core::release::ReleasePlan,
    responses((status = 201, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn create_release(
    app: Data<App>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> Answer {
    let created = releases::create(&app, &caller, &body).await?;
    Ok(release(StatusCode::CREATED, &created))
}

/// Read a release: plan, state, approvals, stage, timeline.
#[utoipa::path(get, path = "/api/v1/releases/{id}", tag = "releases", params(("id" = String, Path)),
    responses((status = 200, body = WithVersion<Release>, headers(("ETag" = String))), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_release(app: Data<App>, id: Path<String>, caller: Principal) -> Answer {
    Ok(release(
        StatusCode::OK,
        &releases::get(&app, &caller, &id).await?,
    ))
}

/// What starting the release would do now: per flag the configuration before → after
/// and each audience's share of the released variant before → after, the preflight
/// (run now, not recorded), what would still block the start, and the warnings `start`
/// must acknowledge by code.
#[utoipa::path(get, path = "/api/v1/releases/{id}/preview", tag = "releases", params(("id" = String, Path)),
    responses((status = 200, body = StartPreview), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn preview_start(app: Data<App>, id: Path<String>, caller: Principal) -> Answer {
    Ok(HttpResponse::Ok().json(releases::preview(&app, &caller, &id).await?))
}

/// Replace the plan of a release that has not started (If-Match required). Read-only
/// fields sent back from a GET are ignored. Changing what ships or how (flags, stages,
/// analysis, schedule, …) sends an approved plan back to `pending_approval`.
#[utoipa::path(put, path = "/api/v1/releases/{id}", tag = "releases",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The release's version")),
    request_body = rollgate_core::release::ReleasePlan,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn replace_release(app: Data<App>, write: KeyedWrite) -> Answer {
    change(&app, write, Change::Plan).await
}

/// Act on a release: `submit`, `approve`, `start`, `pause`, `resume`, `promote`
/// (advance to the next stage now; after the last one, complete), `rollback` (every
/// flag back to control; `reason` required) or `cancel`. If-Match is optional.
/// `start` answers `409` with the `warnings` of its preview unless `acknowledge` lists
/// each one's code; `promote` and `resume` answer `409` while a flag of the release is
/// disabled, and `promote` on a paused release (resume first).
#[utoipa::path(post, path = "/api/v1/releases/{id}/{action}", tag = "releases",
    params(("id" = String, Path),
           ("action" = String, Path, description = "submit, approve, start, pause, resume, promote, rollback or cancel"),
           ("If-Match" = Option<String>, Header, description = "Act only if the release is still at this version")),
    request_body(content = Option<ActionRequest>, description = "Optional `{ \"comment\": \"…\" }`; `rollback` requires `{ \"reason\": \"…\" }`; `start` takes `{ \"acknowledge\": [\"exposure_decrease\", …] }`"),
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn act(app: Data<App>, write: KeyedWrite<(String, String)>) -> Answer {
    let Keyed {
        key: (id, name),
        caller,
        if_match,
    } = write.target;
    let Some(action) = Action::parse(&name) else {
        let known = Action::ALL.iter().map(|a| a.as_str()).collect();
        return Err(RequestError::UnknownAction { name, known }.into());
    };
    let done = releases::act(&app, &caller, &id, action, &write.body, if_match).await?;
    Ok(release(StatusCode::OK, &done))
}

/// Set the percentage of the current stage's audience (never below what it is).
#[utoipa::path(post, path = "/api/v1/releases/{id}/percent", tag = "releases",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = PercentRequest,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn set_percent(app: Data<App>, write: KeyedWrite) -> Answer {
    change(&app, write, Change::Percent).await
}

/// Tick (or untick) a readiness item; approvals are kept.
#[utoipa::path(post, path = "/api/v1/releases/{id}/checklist/{index}", tag = "releases",
    params(("id" = String, Path), ("index" = usize, Path, description = "The item's position, from 0"), ("If-Match" = Option<String>, Header)),
    request_body = ChecklistRequest,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn check_item(app: Data<App>, write: KeyedWrite<(String, usize)>) -> Answer {
    let Keyed {
        key: (id, index),
        caller,
        if_match,
    } = write.target;
    let body = &write.body;
    let done = releases::check_item(&app, &caller, &id, index, body, if_match).await?;
    Ok(release(StatusCode::OK, &done))
}

/// Log an incident: what happened and what was done.
#[utoipa::path(post, path = "/api/v1/releases/{id}/incidents", tag = "releases",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = IncidentRequest,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn log_incident(app: Data<App>, write: KeyedWrite) -> Answer {
    change(&app, write, Change::Incident).await
}
