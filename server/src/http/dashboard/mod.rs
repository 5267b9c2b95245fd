//! The dashboard's routes, at `/`: release managers read and steer releases and flags
//! in the browser. The pages themselves are the `rollgate-dashboard` crate's; this
//! module reads the session, calls the same services as the admin API with the
//! session's [`Principal`](crate::service::Principal), fills the crate's view models
//! and answers with the HTML.
//!
//! Every answer carries a strict Content-Security-Policy (this origin's own files, no
//! inline script, no framing). Reading needs a session ([`session`]); every write is a
//! form `POST` that must carry the session's anti-forgery token and come from this
//! server's origin, then goes through a service, which checks the role again. A write
//! that succeeds answers `303` back to the page (so a reload sends nothing twice); one
//! that is refused shows the page again with the refusal and each field's error, and
//! the status the API would have answered.

mod calendar;
mod catalog;
mod flag_page;
mod flags;
mod form;
mod plan_form;
mod plan_form_pages;
mod release_actions;
mod release_charts;
mod release_events;
mod release_view;
mod releases;
mod session;
mod tokens;

use actix_web::http::StatusCode;
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use rollgate_dashboard::assets;
use rollgate_dashboard::layout::{FieldMessage, Layout, Section, User};
use rollgate_dashboard::signin::{ErrorPage, SignIn};

use self::form::Fields;
use self::session::{NoSession, Session};
use super::problem::ApiError;
use crate::infra::auth::{Role, TokenKind, Unauthenticated};
use crate::service::{App, ServiceError};

/// Registers the routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/").route(web::get().to(releases::overview)))
        .service(
            super::resource("/signin")
                .route(web::get().to(sign_in_form))
                .route(web::post().to(sign_in)),
        )
        .service(super::resource("/signout").route(web::post().to(sign_out)))
        .service(super::resource("/assets/dashboard.css").route(web::get().to(stylesheet)))
        .service(super::resource("/assets/dashboard.js").route(web::get().to(script)))
        .service(super::resource("/assets/favicon.svg").route(web::get().to(icon)))
        .service(super::resource("/favicon.ico").route(web::get().to(icon)));
    releases::configure(config);
    catalog::configure(config);
    plan_form_pages::configure(config);
    flags::configure(config);
    tokens::configure(config);
}

/// An HTML answer with the dashboard's security headers.
fn html(status: StatusCode) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", assets::CONTENT_SECURITY_POLICY));
    for header in assets::SECURITY_HEADERS {
        response.insert_header(header);
    }
    response
}

/// Renders `page` with `status`, renewing the session's cookie (its idle expiry).
fn page(
    app: &App,
    req: &HttpRequest,
    session: Option<&Session>,
    status: StatusCode,
    page: &impl rollgate_dashboard::Template,
) -> HttpResponse {
    let mut response = html(status);
    if let Some(session) = session {
        response.cookie(session.cookie(app, req));
    }
    match rollgate_dashboard::render(page) {
        Ok(body) => response.body(body),
        Err(error) => {
            tracing::error!(%error, "a dashboard page failed to render");
            html(StatusCode::INTERNAL_SERVER_ERROR).body("the page failed to render")
        }
    }
}

/// `303 See Other` to `location`, renewing the session's cookie.
fn see_other(app: &App, req: &HttpRequest, session: &Session, location: &str) -> HttpResponse {
    html(StatusCode::SEE_OTHER)
        .cookie(session.cookie(app, req))
        .insert_header(("Location", location.to_owned()))
        .finish()
}

/// The frame of a page for `session`.
fn layout(session: &Session, title: impl Into<String>, section: Section) -> Layout {
    let role = session.principal.role().unwrap_or(Role::Viewer);
    Layout {
        title: title.into(),
        section,
        user: Some(User {
            name: session.principal.name().to_owned(),
            role: role.as_str().to_owned(),
            edits_flags: role >= Role::Editor,
            runs_releases: role >= Role::ReleaseManager,
            manages_tokens: role >= Role::Admin && session.principal.scope().is_none(),
        }),
        csrf: session.form_token(),
        ..Layout::default()
    }
}

/// What a refused write shows: the status the API would answer, a sentence, and the
/// error of each field.
fn refusal(error: ServiceError) -> (StatusCode, String, Vec<FieldMessage>) {
    let problem = ApiError::from(error).problem();
    let mut errors: Vec<FieldMessage> = problem
        .errors
        .iter()
        .map(|e| FieldMessage {
            field: e.field.clone(),
            message: e.message.clone(),
        })
        .collect();
    if errors.is_empty()
        && let Some(field) = &problem.field
    {
        errors.push(FieldMessage {
            field: field.clone(),
            message: problem.detail.clone(),
        });
    }
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, problem.detail, errors)
}

/// Puts the refusal of a write on `frame` (its sentence and each field's error);
/// returns the status the API would have answered.
fn show_refusal(frame: &mut Layout, error: ServiceError) -> StatusCode {
    let (status, message, errors) = refusal(error);
    frame.notice = Some(message);
    frame.notice_is_error = true;
    frame.errors = errors;
    status
}

/// The session of a page request; without one, the answer is the way to the sign-in
/// page.
fn reader(app: &App, req: &HttpRequest) -> Result<Session, HttpResponse> {
    Session::of(app, req).map_err(|why| {
        let mut answer = html(StatusCode::SEE_OTHER);
        answer.insert_header(("Location", "/signin"));
        if why == NoSession::Ended {
            answer.cookie(session::removal(app, req));
        }
        answer.finish()
    })
}

/// The session of a form that changes something: a valid session, a request from this
/// server's pages, and the session's anti-forgery token in the form. Otherwise the
/// answer is a page saying which.
fn writer(app: &App, req: &HttpRequest, fields: &Fields) -> Result<Session, HttpResponse> {
    if !session::same_origin(app, req) {
        return Err(plain_error(
            StatusCode::FORBIDDEN,
            "this form was not sent from this server's pages",
        ));
    }
    let Ok(session) = Session::of(app, req) else {
        return Err(plain_error(
            StatusCode::UNAUTHORIZED,
            "your session has ended: sign in again",
        ));
    };
    if !session.form_token_matches(fields.get("csrf").unwrap_or("")) {
        return Err(plain_error(
            StatusCode::FORBIDDEN,
            "this form's anti-forgery token is missing or is not this session's: reload the page",
        ));
    }
    Ok(session)
}

/// A page that says only what went wrong.
fn plain_error(status: StatusCode, message: &str) -> HttpResponse {
    let page = ErrorPage {
        layout: Layout {
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            section: Section::SignIn,
            ..Layout::default()
        },
        status: status.as_u16(),
        message: message.to_owned(),
    };
    let body = rollgate_dashboard::render(&page).unwrap_or_else(|_| message.to_owned());
    html(status).body(body)
}

async fn sign_in_form(app: Data<App>, req: HttpRequest) -> HttpResponse {
    if Session::of(&app, &req).is_ok() {
        return html(StatusCode::SEE_OTHER)
            .insert_header(("Location", "/"))
            .finish();
    }
    sign_in_page(StatusCode::OK, None)
}

fn sign_in_page(status: StatusCode, notice: Option<&str>) -> HttpResponse {
    let page = SignIn {
        layout: Layout {
            title: "Sign in".to_owned(),
            section: Section::SignIn,
            notice: notice.map(str::to_owned),
            notice_is_error: notice.is_some(),
            ..Layout::default()
        },
    };
    let body = rollgate_dashboard::render(&page).unwrap_or_default();
    html(status).body(body)
}

/// Checks the token through the failed-authentication guard, as the API does, and opens
/// a session for an admin token.
async fn sign_in(app: Data<App>, req: HttpRequest, fields: web::Form<Fields>) -> HttpResponse {
    if !session::same_origin(&app, &req) {
        return plain_error(
            StatusCode::FORBIDDEN,
            "this form was not sent from this server's pages",
        );
    }
    let token = fields.get("token").unwrap_or("").trim().to_owned();
    let header = format!("Bearer {token}");
    let verified = super::extract::guarded(&req, || app.tokens.authenticate(Some(&header)));
    match verified {
        Ok(record) if record.kind == TokenKind::Admin => {
            let session = Session::open(record);
            see_other(&app, &req, &session, "/")
        }
        Ok(_) => sign_in_page(
            StatusCode::FORBIDDEN,
            Some("an SDK key cannot sign in: use an admin token"),
        ),
        Err(super::guard::Refused::Unauthenticated(Unauthenticated::NotBearer)) => {
            sign_in_page(StatusCode::UNAUTHORIZED, Some("paste an admin token"))
        }
        Err(super::guard::Refused::Unauthenticated(_)) => {
            sign_in_page(StatusCode::UNAUTHORIZED, Some("unknown or revoked token"))
        }
        Err(super::guard::Refused::Throttled(_)) => sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some("too many failed sign-ins from this address: wait a minute"),
        ),
    }
}

async fn sign_out(app: Data<App>, req: HttpRequest, fields: web::Form<Fields>) -> HttpResponse {
    if let Err(refused) = writer(&app, &req, &fields) {
        return refused;
    }
    html(StatusCode::SEE_OTHER)
        .cookie(session::removal(&app, &req))
        .insert_header(("Location", "/signin"))
        .finish()
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", assets::STYLESHEET)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", assets::SCRIPT)
}

async fn icon() -> HttpResponse {
    asset("image/svg+xml", assets::ICON)
}

fn asset(kind: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(kind.to_owned())
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-cache"))
        .body(body)
}

/// The environments `session` may see, by key.
fn environment_names(app: &App, session: &Session) -> Vec<String> {
    app.hub
        .catalog()
        .environments
        .keys()
        .filter(|e| {
            session
                .principal
                .scope()
                .is_none_or(|s| s.iter().any(|x| x == *e))
        })
        .cloned()
        .collect()
}
