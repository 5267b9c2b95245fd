//! The release forms: every action of the state machine, the percentage, the checklist,
//! incidents, and the plan editor. Each form names the release's version it was shown
//! (`If-Match`), so a form sent twice or after someone else acted changes nothing and
//! says so.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_dashboard::layout::Section;
use rollgate_dashboard::releases::PlanEditor;
use serde_json::{Value, json};

use super::form::Fields;
use super::releases::{failed, release_page};
use super::session::Session;
use super::{layout, page, reader, see_other, writer};
use crate::service::releases::{self, Action};
use crate::service::{App, ServiceError};

/// Registers the routes.
pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(crate::http::resource("/releases/{id}/act/{action}").route(web::post().to(act)))
        .service(crate::http::resource("/releases/{id}/percent").route(web::post().to(percent)))
        .service(
            crate::http::resource("/releases/{id}/checklist/{index}")
                .route(web::post().to(checklist)),
        )
        .service(crate::http::resource("/releases/{id}/incidents").route(web::post().to(incident)))
        .service(
            crate::http::resource("/releases/{id}/edit")
                .route(web::get().to(edit_plan))
                .route(web::post().to(replace)),
        );
}

/// After a write on release `id`: back to its page, or the page with the refusal.
async fn done(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    id: &str,
    result: Result<impl Sized, ServiceError>,
) -> HttpResponse {
    match result {
        Ok(_) => see_other(app, req, session, &format!("/releases/{id}")),
        Err(error) => release_page(app, req, session, id, StatusCode::OK, Some(error)).await,
    }
}

/// The body of an action: its comment, a rollback's reason, a start's acknowledgements.
fn action_body(fields: &Fields) -> Value {
    let mut body = serde_json::Map::new();
    if let Some(comment) = fields.text("comment") {
        body.insert("comment".into(), json!(comment));
    }
    if let Some(reason) = fields.get("reason") {
        body.insert("reason".into(), json!(reason.trim()));
    }
    let acknowledged = fields.all("acknowledge");
    if !acknowledged.is_empty() {
        body.insert("acknowledge".into(), json!(acknowledged));
    }
    Value::Object(body)
}

/// A change to a release that a form asks for, as the service takes it.
enum Change {
    /// An action of the state machine, with its body.
    Act(Action, Value),
    /// The percentage typed (checked before the service sees it).
    Percent(String),
    /// A checklist item ticked or unticked.
    Check(usize, bool),
    /// An incident: what happened and what was done.
    Incident(Value),
}

/// Applies `change` to release `id` for the form's session, naming the version the
/// form showed; answers with the release page (or the refusal on it).
async fn apply(
    app: &App,
    req: &HttpRequest,
    fields: &Fields,
    id: &str,
    change: Change,
) -> HttpResponse {
    let session = match writer(app, req, fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (caller, if_match) = (&session.principal, fields.if_match());
    let result = match change {
        Change::Act(action, body) => {
            let body = body.to_string();
            releases::act(app, caller, id, action, body.as_bytes(), if_match).await
        }
        Change::Percent(typed) => match typed.parse::<f64>() {
            Ok(number) if number.is_finite() => {
                let body = json!({ "percent": number }).to_string();
                releases::set_percent(app, caller, id, body.as_bytes(), if_match).await
            }
            _ => Err(ServiceError::invalid(
                "percent",
                format!("{typed:?} is not a number from 0 to 100"),
            )),
        },
        Change::Check(index, done) => {
            let body = json!({ "done": done }).to_string();
            releases::check_item(app, caller, id, index, body.as_bytes(), if_match).await
        }
        Change::Incident(body) => {
            let body = body.to_string();
            releases::log_incident(app, caller, id, body.as_bytes(), if_match).await
        }
    };
    done(app, req, &session, id, result).await
}

async fn act(
    app: Data<App>,
    req: HttpRequest,
    path: Path<(String, String)>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let (id, name) = path.into_inner();
    let Some(action) = Action::parse(&name) else {
        return super::plain_error(StatusCode::NOT_FOUND, "no such action");
    };
    let change = Change::Act(action, action_body(&fields));
    apply(&app, &req, &fields, &id, change).await
}

async fn percent(
    app: Data<App>,
    req: HttpRequest,
    id: Path<String>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let typed = fields.get("percent").unwrap_or("").trim().to_owned();
    apply(&app, &req, &fields, &id, Change::Percent(typed)).await
}

async fn checklist(
    app: Data<App>,
    req: HttpRequest,
    path: Path<(String, usize)>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let (id, index) = path.into_inner();
    let change = Change::Check(index, fields.get("done") == Some("true"));
    apply(&app, &req, &fields, &id, change).await
}

async fn incident(
    app: Data<App>,
    req: HttpRequest,
    id: Path<String>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let body = json!({
        "what": fields.get("what").unwrap_or("").trim(),
        "action": fields.get("action").unwrap_or("").trim(),
    });
    apply(&app, &req, &fields, &id, Change::Incident(body)).await
}

/// A plan to start from: one flag, the three rings, the environment's policy.
pub(super) fn starting_plan(environment: &str) -> String {
    let plan = json!({
        "name": "",
        "release_version": "1.0.0",
        "environment": environment,
        "flags": [ { "key": "", "variant": "on" } ],
        "stages": [
            { "audience": "alpha", "percent": 100 },
            { "audience": "beta", "percent": 50 },
            { "audience": "general", "percent": 10 },
            { "audience": "general", "percent": 100 }
        ],
        "approvals_required": 1,
        "checklist": [ { "item": "Runbook written", "owner": "" } ]
    });
    serde_json::to_string_pretty(&plan).unwrap_or_default()
}

/// The editor with `json` as typed and the errors of `refused`.
fn editor(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    id: Option<String>,
    version: u64,
    json: String,
    refused: Option<ServiceError>,
) -> HttpResponse {
    let title = match &id {
        Some(id) => format!("Edit {id}"),
        None => "New release".to_owned(),
    };
    let mut frame = layout(session, title, Section::Releases);
    let mut status = StatusCode::OK;
    if let Some(error) = refused {
        status = super::show_refusal(&mut frame, error);
    }
    let editor = PlanEditor {
        layout: frame,
        id,
        version,
        json,
    };
    page(app, req, Some(session), status, &editor)
}

pub(super) async fn new_plan(app: Data<App>, req: HttpRequest) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let environment = super::environment_names(&app, &session)
        .into_iter()
        .find(|e| e == "production")
        .unwrap_or_default();
    editor(
        &app,
        &req,
        &session,
        None,
        0,
        starting_plan(&environment),
        None,
    )
}

pub(super) async fn create(
    app: Data<App>,
    req: HttpRequest,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let plan = fields.get("plan").unwrap_or("").to_owned();
    match releases::create(&app, &session.principal, plan.as_bytes()).await {
        Ok(created) => see_other(
            &app,
            &req,
            &session,
            &format!("/releases/{}", created.doc.id),
        ),
        Err(error) => editor(&app, &req, &session, None, 0, plan, Some(error)),
    }
}

async fn edit_plan(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match releases::get(&app, &session.principal, &id).await {
        Ok(stored) => {
            let json = serde_json::to_string_pretty(&stored.doc.plan).unwrap_or_default();
            editor(
                &app,
                &req,
                &session,
                Some(id.into_inner()),
                stored.version,
                json,
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
    let plan = fields.get("plan").unwrap_or("").to_owned();
    let result = releases::replace(
        &app,
        &session.principal,
        &id,
        plan.as_bytes(),
        fields.if_match(),
    )
    .await;
    match result {
        Ok(_) => see_other(&app, &req, &session, &format!("/releases/{id}")),
        Err(error) => {
            let version = fields.if_match().map_or(0, |m| match m {
                crate::service::IfMatch::Version(v) => v,
            });
            editor(
                &app,
                &req,
                &session,
                Some(id.into_inner()),
                version,
                plan,
                Some(error),
            )
        }
    }
}
