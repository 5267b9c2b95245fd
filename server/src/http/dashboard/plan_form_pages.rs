//! The plan editor's form pages: a new plan (`/releases/new/form`) and a draft's
//! (`/releases/{id}/edit/form`). A sent form becomes the plan's JSON
//! ([`super::plan_form::build`]) and goes through the same service as the JSON editor;
//! a refusal shows the form again as it was typed, each error on its field.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_dashboard::layout::Section;
use rollgate_dashboard::plan_form::PlanForm;
use serde_json::Value;

use super::form::Fields;
use super::plan_form::{Rows, build, flatten};
use super::releases::failed;
use super::session::Session;
use super::{layout, page, reader, see_other, writer};
use crate::service::{App, IfMatch, ServiceError, releases};

/// Registers the routes.
pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            crate::http::resource("/releases/new/form")
                .route(web::get().to(new_form))
                .route(web::post().to(create)),
        )
        .service(
            crate::http::resource("/releases/{id}/edit/form")
                .route(web::get().to(edit_form))
                .route(web::post().to(replace)),
        );
}

/// The form with `values`, and the errors of `refused` on the fields `rows` maps them
/// to.
fn form(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    id: Option<String>,
    version: u64,
    values: &BTreeMap<String, String>,
    refused: Option<(ServiceError, &Rows)>,
) -> HttpResponse {
    let title = match &id {
        Some(id) => format!("Edit {id}"),
        None => "New release".to_owned(),
    };
    let mut frame = layout(session, title, Section::Releases);
    let mut status = StatusCode::OK;
    if let Some((error, rows)) = refused {
        status = super::show_refusal(&mut frame, error);
        for error in &mut frame.errors {
            error.field = rows.form_path(&error.field);
        }
    }
    let shown = PlanForm::new(frame, id, version, values);
    page(app, req, Some(session), status, &shown)
}

/// What was typed, by field (a tick box's value wins over its blank twin).
fn typed(fields: &Fields) -> BTreeMap<String, String> {
    fields
        .pairs()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

async fn new_form(app: Data<App>, req: HttpRequest) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let environment = super::environment_names(&app, &session)
        .into_iter()
        .find(|e| e == "production")
        .unwrap_or_default();
    let start: Value = serde_json::from_str(&super::release_actions::starting_plan(&environment))
        .unwrap_or_default();
    form(&app, &req, &session, None, 0, &flatten(&start), None)
}

async fn create(app: Data<App>, req: HttpRequest, fields: web::Form<Fields>) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (plan, rows) = build(fields.pairs(), None);
    match releases::create(&app, &session.principal, plan.to_string().as_bytes()).await {
        Ok(created) => see_other(
            &app,
            &req,
            &session,
            &format!("/releases/{}", created.doc.id),
        ),
        Err(error) => form(
            &app,
            &req,
            &session,
            None,
            0,
            &typed(&fields),
            Some((error, &rows)),
        ),
    }
}

async fn edit_form(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match releases::get(&app, &session.principal, &id).await {
        Ok(stored) => {
            let plan = serde_json::to_value(&stored.doc.plan).unwrap_or_default();
            let values = flatten(&plan);
            form(
                &app,
                &req,
                &session,
                Some(id.into_inner()),
                stored.version,
                &values,
                None,
            )
        }
        Err(error) => failed(&app, &req, &session, error),
    }
}

async fn replace(
    app: Data<App>,
    req: HttpRequest,
    id: Path<String>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let stored = match releases::get(&app, &session.principal, &id).await {
        Ok(stored) => stored,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let base = serde_json::to_value(&stored.doc.plan).unwrap_or_default();
    let (plan, rows) = build(fields.pairs(), Some(&base));
    let result = releases::replace(
        &app,
        &session.principal,
        &id,
        plan.to_string().as_bytes(),
        fields.if_match(),
    )
    .await;
    match result {
        Ok(_) => see_other(&app, &req, &session, &format!("/releases/{id}")),
        Err(error) => {
            let version = fields.if_match().map_or(0, |IfMatch::Version(v)| v);
            form(
                &app,
                &req,
                &session,
                Some(id.into_inner()),
                version,
                &typed(&fields),
                Some((error, &rows)),
            )
        }
    }
}
