//! The tokens page, for admins: every token, a new one (its secret shown on the answer
//! to the form and never again), and revocation, through the tokens service.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_dashboard::layout::Section;
use rollgate_dashboard::tokens::{TokenList, TokenRow};
use serde_json::json;

use super::form::Fields;
use super::release_view::when;
use super::session::Session;
use super::{layout, page, reader, see_other, writer};
use crate::infra::auth::TokenKind;
use crate::service::{App, ServiceError, tokens};

/// Registers the routes.
pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            crate::http::resource("/tokens")
                .route(web::get().to(list))
                .route(web::post().to(create)),
        )
        .service(crate::http::resource("/tokens/{id}/revoke").route(web::post().to(revoke)));
}

async fn tokens_page(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    new_secret: Option<String>,
    refused: Option<ServiceError>,
) -> HttpResponse {
    let all = match tokens::list(app, &session.principal).await {
        Ok(all) => all,
        Err(error) => return super::releases::failed(app, req, session, error),
    };
    let mut frame = layout(session, "Tokens", Section::Tokens);
    let mut status = if new_secret.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    if let Some(error) = refused {
        status = super::show_refusal(&mut frame, error);
    }
    let list = TokenList {
        layout: frame,
        rows: all
            .iter()
            .map(|t| TokenRow {
                id: t.id.clone(),
                name: t.name.clone(),
                kind: match t.kind {
                    TokenKind::Admin => "admin".to_owned(),
                    TokenKind::Sdk => "sdk".to_owned(),
                    TokenKind::Frontend => "frontend".to_owned(),
                },
                scope: match (t.role, &t.environment) {
                    (Some(role), _) => role.as_str().to_owned(),
                    (None, Some(environment)) => environment.clone(),
                    (None, None) => String::new(),
                },
                created_at: when(t.created_at),
            })
            .collect(),
        new_secret,
        environments: super::environment_names(app, session),
    };
    page(app, req, Some(session), status, &list)
}

async fn list(app: Data<App>, req: HttpRequest) -> HttpResponse {
    match reader(&app, &req) {
        Ok(session) => tokens_page(&app, &req, &session, None, None).await,
        Err(answer) => answer,
    }
}

async fn create(app: Data<App>, req: HttpRequest, fields: web::Form<Fields>) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let kind = fields.get("kind").unwrap_or("admin");
    let name = fields.get("name").unwrap_or("").trim();
    let body = if kind == "sdk" {
        json!({ "kind": "sdk", "name": name, "environment": fields.get("environment").unwrap_or("") })
    } else {
        json!({ "kind": kind, "name": name, "role": fields.get("role").unwrap_or("viewer") })
    };
    match tokens::create(&app, &session.principal, body.to_string().as_bytes()).await {
        Ok(issued) => tokens_page(&app, &req, &session, Some(issued.token), None).await,
        Err(error) => tokens_page(&app, &req, &session, None, Some(error)).await,
    }
}

async fn revoke(
    app: Data<App>,
    req: HttpRequest,
    id: Path<String>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match tokens::revoke(&app, &session.principal, &id).await {
        Ok(()) if id.as_str() == session.principal.id() => html_signed_out(&app, &req),
        Ok(()) => see_other(&app, &req, &session, "/tokens"),
        Err(error) => tokens_page(&app, &req, &session, None, Some(error)).await,
    }
}

/// Revoking one's own token ends the session: back to the sign-in page.
fn html_signed_out(app: &App, req: &HttpRequest) -> HttpResponse {
    super::html(StatusCode::SEE_OTHER)
        .cookie(super::session::removal(app, req))
        .insert_header(("Location", "/signin"))
        .finish()
}
