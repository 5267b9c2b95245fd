//! Handlers for the release's living risk log and its tracked incidents
//! (docs/release-plan.md, "The risk log" and "Incidents"): add a risk, change one with a
//! reason, and manage an incident after it is logged (`POST …/incidents` is in
//! `releases.rs`). Registered before `releases.rs`, whose `/{id}/{action}` would
//! otherwise answer `…/risks`. Each answers with the release and its version as `ETag`.

use actix_web::HttpResponse;
use actix_web::web::{self, Data};

use super::Answer;
use super::extract::{Keyed, KeyedWrite, etag};
use super::problem::Problem;
use crate::service::App;
use crate::service::WithVersion;
use crate::service::releases::{self, IncidentChange, NewRisk, Release, RiskChange};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/api/v1/releases/{id}/risks").route(web::post().to(add_risk)))
        .service(
            super::resource("/api/v1/releases/{id}/risks/{risk}")
                .route(web::post().to(update_risk)),
        )
        .service(
            super::resource("/api/v1/releases/{id}/incidents/{incident}")
                .route(web::post().to(update_incident)),
        );
}

fn versioned(release: &WithVersion<Release>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(release.version)))
        .json(release)
}

/// Add a risk to the release's risk log (it starts `open`); approvals are kept.
/// Allowed until the release ends.
#[utoipa::path(post, path = "/api/v1/releases/{id}/risks", tag = "releases",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = NewRisk,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn add_risk(app: Data<App>, write: KeyedWrite) -> Answer {
    let Keyed {
        key,
        caller,
        if_match,
    } = write.target;
    let done = releases::add_risk(&app, &caller, &key, &write.body, if_match).await?;
    Ok(versioned(&done))
}

/// Change a risk of the log — status (`open`, `mitigating`, `closed`, `occurred` with
/// the `incident` it became), likelihood, impact, mitigation, owner — with a `reason`;
/// approvals are kept. A step the risk cannot take is a `422` naming `status`.
#[utoipa::path(post, path = "/api/v1/releases/{id}/risks/{risk}", tag = "releases",
    params(("id" = String, Path), ("risk" = String, Path, description = "The risk's id, e.g. `risk-2`"),
           ("If-Match" = Option<String>, Header)),
    request_body = RiskChange,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn update_risk(app: Data<App>, write: KeyedWrite<(String, String)>) -> Answer {
    let Keyed {
        key: (id, risk),
        caller,
        if_match,
    } = write.target;
    let done = releases::update_risk(&app, &caller, &id, &risk, &write.body, if_match).await?;
    Ok(versioned(&done))
}

/// Manage an incident: its status (`open`, `mitigated`, `resolved`, which is final),
/// severity or owner, and/or an `action` taken (recorded with its time). Allowed in
/// every state; approvals are kept.
#[utoipa::path(post, path = "/api/v1/releases/{id}/incidents/{incident}", tag = "releases",
    params(("id" = String, Path), ("incident" = String, Path, description = "The incident's id, e.g. `incident-1`"),
           ("If-Match" = Option<String>, Header)),
    request_body = IncidentChange,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn update_incident(app: Data<App>, write: KeyedWrite<(String, String)>) -> Answer {
    let Keyed {
        key: (id, incident),
        caller,
        if_match,
    } = write.target;
    let done =
        releases::update_incident(&app, &caller, &id, &incident, &write.body, if_match).await?;
    Ok(versioned(&done))
}
