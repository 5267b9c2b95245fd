//! Handlers for the release plan's living parts (docs/release-plan.md): the readiness
//! backlog's tasks — listed with what is overdue at the server's now, and changed one
//! call at a time. Kept apart from `releases.rs` (the plan and the rollout's actions);
//! registered before it, whose `/{id}/{action}` would otherwise answer these paths.

use actix_web::HttpResponse;
use actix_web::web::{self, Data, Path};

use super::Answer;
use super::extract::{Keyed, KeyedWrite, etag};
use super::problem::Problem;
use super::request_error::RequestError;
use crate::service::WithVersion;
use crate::service::releases::{
    self, CommitmentRequest, CommitmentStatus, Release, TaskList, TaskRequest,
};
use crate::service::{App, Principal};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/api/v1/releases/{id}/tasks").route(web::get().to(list_tasks)))
        .service(
            super::resource("/api/v1/releases/{id}/tasks/{index}")
                .route(web::post().to(update_task)),
        )
        .service(
            super::resource("/api/v1/releases/{id}/resources/{index}/{answer}")
                .route(web::post().to(answer_resource)),
        );
}

/// Commit (`commit`) or decline (`decline`, `reason` required) a resource, as its
/// owner: the member of the release group the plan names. Approvals are kept.
#[utoipa::path(post, path = "/api/v1/releases/{id}/resources/{index}/{answer}", tag = "releases",
    params(("id" = String, Path), ("index" = usize, Path, description = "The resource's position, from 0"),
           ("answer" = String, Path, description = "commit or decline"), ("If-Match" = Option<String>, Header)),
    request_body = CommitmentRequest,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn answer_resource(
    app: Data<App>,
    write: KeyedWrite<(String, usize, String)>,
) -> Answer {
    let Keyed {
        key: (id, index, answer),
        caller,
        if_match,
    } = write.target;
    let status = match answer.as_str() {
        "commit" => CommitmentStatus::Committed,
        "decline" => CommitmentStatus::Declined,
        _ => {
            let known = vec!["commit", "decline"];
            return Err(RequestError::UnknownAction {
                name: answer,
                known,
            }
            .into());
        }
    };
    let done =
        releases::answer_resource(&app, &caller, &id, index, status, &write.body, if_match).await?;
    Ok(versioned(&done))
}

fn versioned(release: &WithVersion<Release>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(release.version)))
        .json(release)
}

/// The release's tasks, each with whether it is open past its due date now.
#[utoipa::path(get, path = "/api/v1/releases/{id}/tasks", tag = "releases", params(("id" = String, Path)),
    responses((status = 200, body = TaskList), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_tasks(app: Data<App>, id: Path<String>, caller: Principal) -> Answer {
    Ok(HttpResponse::Ok().json(releases::list_tasks(&app, &caller, &id).await?))
}

/// Change a task's status (`todo`, `doing`, `done`, `dropped` with a `reason`) and/or
/// its notes; approvals are kept. A step the task cannot take is a `422` naming
/// `status`.
#[utoipa::path(post, path = "/api/v1/releases/{id}/tasks/{index}", tag = "releases",
    params(("id" = String, Path), ("index" = usize, Path, description = "The task's position, from 0"), ("If-Match" = Option<String>, Header)),
    request_body = TaskRequest,
    responses((status = 200, body = WithVersion<Release>), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn update_task(app: Data<App>, write: KeyedWrite<(String, usize)>) -> Answer {
    let Keyed {
        key: (id, index),
        caller,
        if_match,
    } = write.target;
    let done = releases::update_task(&app, &caller, &id, index, &write.body, if_match).await?;
    Ok(versioned(&done))
}
