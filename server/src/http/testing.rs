//! The test-only clock endpoint: with `testing.manual_clock_start` set, an admin moves
//! the server's time and the answer comes once the scheduler has done everything due
//! at the new time — so tests of scheduled behaviour never sleep. Without the setting,
//! moving the clock answers 409 (the route exists, the server is not in that mode);
//! reading it always tells the time and whether it is manual.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use rollgate_core::release::Duration as Span;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::extract::{Bounds, JsonBody};
use super::problem::{ApiError, Problem};
use super::request_error::RequestError;
use crate::infra::auth::Role;
use crate::infra::clock::ManualClock;
use crate::service::App;
use crate::service::ServiceError;
use crate::service::{Principal, require_role, require_unscoped};

/// How long the endpoint waits for the scheduler to catch up.
const CATCH_UP: Duration = Duration::from_secs(30);

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(
        super::resource("/api/v1/testing/clock")
            .route(web::get().to(get_clock))
            .route(web::post().to(move_clock)),
    );
}

/// `{ "advance": "90s" }` or `{ "set": "2026-12-03T09:00:00Z" }`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockMove {
    /// Move forward by this duration.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "90s")]
    advance: Option<Span>,
    /// Set to this time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    set: Option<OffsetDateTime>,
}

/// The server's time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ClockNow {
    /// Now, as the server sees it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    now: OffsetDateTime,
    /// Whether this is the manual clock (`testing.manual_clock_start`).
    manual: bool,
}

fn manual(app: &App, caller: &Principal) -> Result<std::sync::Arc<ManualClock>, ApiError> {
    require_role(caller, Role::Admin)?;
    require_unscoped(caller, "the test clock")?;
    app.manual_clock
        .clone()
        .ok_or_else(|| RequestError::ManualClockOff.into())
}

/// The server's time, and whether it is the test-only manual clock.
#[utoipa::path(get, path = "/api/v1/testing/clock", tag = "testing",
    responses((status = 200, body = ClockNow), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_clock(
    app: web::Data<App>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    require_role(&caller, Role::Admin)?;
    Ok(HttpResponse::Ok().json(ClockNow {
        now: app.clock.now(),
        manual: app.manual_clock.is_some(),
    }))
}

/// Test-only: move the manual clock, then wait until the scheduler has acted at the new
/// time (409 unless `testing.manual_clock_start` is set).
#[utoipa::path(post, path = "/api/v1/testing/clock", tag = "testing", request_body = ClockMove,
    responses((status = 200, body = ClockNow), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn move_clock(
    app: web::Data<App>,
    req: HttpRequest,
    caller: Principal,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The body is read only once the caller may move the clock and it is manual.
    let clock = manual(&app, &caller)?;
    let body = JsonBody::read(req.headers(), payload, Bounds::admin(&app)).await?;
    let request: ClockMove = rollgate_core::validate::parse(&body).map_err(ServiceError::from)?;
    match (request.advance, request.set) {
        (Some(by), None) => clock.advance(by.to_time()),
        (None, Some(to)) => clock.set(to),
        _ => {
            return Err(ServiceError::invalid("advance",
                "give exactly one of `advance` (a duration such as \"90s\") and `set` (an RFC 3339 time)",)
            .into());
        }
    }
    let now = app.clock.now();
    app.wake.scheduler.notify_one();
    app.wake.controller.notify_one();
    if tokio::time::timeout(CATCH_UP, app.wake.until_scheduled(now))
        .await
        .is_err()
    {
        tracing::warn!("the scheduler did not catch up with the manual clock in time");
    }
    Ok(HttpResponse::Ok().json(ClockNow { now, manual: true }))
}
