//! The release pages that read: the overview, the list, one release, its live part,
//! the preview of a start, its validation report and the changelog. The writes are in
//! [`super::release_actions`].

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_core::release::ReleaseState;
use rollgate_dashboard::layout::Section;
use rollgate_dashboard::releases::{
    IncidentRow, Overview, PreviewFlag, PreviewWarning, ReleaseList, ReleaseLive, ReleasePage,
    StartPage,
};
use serde::Deserialize;

use super::release_view::{row, view, when};
use super::session::Session;
use super::{layout, page, reader, refusal};
use crate::service::changelog::{self, View};
use crate::service::releases::{self, EventKind};
use crate::service::{App, ServiceError, reports};

/// Registers the routes.
pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(crate::http::resource("/releases").route(web::get().to(list)))
        .service(
            crate::http::resource("/releases/new")
                .route(web::get().to(super::release_actions::new_plan))
                .route(web::post().to(super::release_actions::create)),
        )
        .service(crate::http::resource("/releases/{id}").route(web::get().to(release)))
        .service(crate::http::resource("/releases/{id}/live").route(web::get().to(live)))
        .service(
            crate::http::resource("/releases/{id}/events")
                .route(web::get().to(super::release_events::events)),
        )
        .service(crate::http::resource("/releases/{id}/start").route(web::get().to(start)))
        .service(crate::http::resource("/releases/{id}/report").route(web::get().to(report)))
        .service(crate::http::resource("/changelog").route(web::get().to(changelog)));
    super::release_actions::configure(config);
}

/// Answers a read that failed: the error page, with the status the API would give.
pub(super) fn failed(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    error: ServiceError,
) -> HttpResponse {
    let (status, message, _) = refusal(error);
    let page_ = rollgate_dashboard::signin::ErrorPage {
        layout: layout(
            session,
            status.canonical_reason().unwrap_or("Error"),
            Section::Overview,
        ),
        status: status.as_u16(),
        message,
    };
    page(app, req, Some(session), status, &page_)
}

/// The overview: releases in flight, approvals waiting, scheduled starts, incidents.
pub(super) async fn overview(app: Data<App>, req: HttpRequest) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let all = match releases::list(&app, &session.principal, None, None).await {
        Ok(all) => all,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let me = session.principal.id();
    let in_scope = |environment: &str| {
        session
            .principal
            .scope()
            .is_none_or(|s| s.iter().any(|e| e == environment))
    };
    let in_flight = all
        .iter()
        .filter(|r| matches!(r.doc.state, ReleaseState::Running | ReleaseState::Paused))
        .map(|r| row(&r.doc))
        .collect();
    let runs = super::layout(&session, "", Section::Overview).runs_releases();
    let awaiting_approval = all
        .iter()
        .filter(|r| runs && r.doc.state == ReleaseState::PendingApproval)
        .filter(|r| r.doc.author.id != me && !r.doc.approvals.iter().any(|a| a.by.id == me))
        .filter(|r| in_scope(&r.doc.plan.environment))
        .map(|r| row(&r.doc))
        .collect();
    let scheduled = all
        .iter()
        .filter(|r| !r.doc.state.is_terminal() && r.doc.plan.schedule.start_at.is_some())
        .filter(|r| r.doc.current_stage.is_none())
        .map(|r| row(&r.doc))
        .collect();
    let mut incidents: Vec<(time::OffsetDateTime, IncidentRow)> = all
        .iter()
        .flat_map(|r| {
            r.doc
                .timeline
                .iter()
                .filter(|e| e.event == EventKind::Incident)
                .map(|e| {
                    let what = e
                        .details
                        .as_ref()
                        .and_then(|d| d["what"].as_str())
                        .unwrap_or("")
                        .to_owned();
                    (
                        e.at,
                        IncidentRow {
                            release_id: r.doc.id.clone(),
                            release_name: r.doc.plan.name.clone(),
                            at: when(e.at),
                            what,
                            ..IncidentRow::default()
                        },
                    )
                })
        })
        .collect();
    incidents.sort_by_key(|i| std::cmp::Reverse(i.0));
    let overview = Overview {
        layout: layout(&session, "Overview", Section::Overview),
        in_flight,
        awaiting_approval,
        scheduled,
        incidents: incidents.into_iter().take(10).map(|(_, i)| i).collect(),
        calendar: super::calendar::of(&all, app.clock.now()),
    };
    page(&app, &req, Some(&session), StatusCode::OK, &overview)
}

/// Filters of the list.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    environment: String,
}

async fn list(app: Data<App>, req: HttpRequest, filter: Query<Filter>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let state = Some(filter.state.as_str()).filter(|s| !s.is_empty());
    let environment = Some(filter.environment.as_str()).filter(|s| !s.is_empty());
    let found = releases::list(&app, &session.principal, state, environment).await;
    let environments = super::environment_names(&app, &session);
    match found {
        Ok(mut rows) => {
            rows.sort_by_key(|r| std::cmp::Reverse(r.doc.created_at));
            let list = ReleaseList {
                layout: layout(&session, "Releases", Section::Releases),
                rows: rows.iter().map(|r| row(&r.doc)).collect(),
                state: filter.state.clone(),
                environment: filter.environment.clone(),
                states: ReleaseState::ALL
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                environments,
            };
            page(&app, &req, Some(&session), StatusCode::OK, &list)
        }
        Err(error) => failed(&app, &req, &session, error),
    }
}

/// The page of release `id`, with a notice and field errors when a write was refused.
pub(super) async fn release_page(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    id: &str,
    status: StatusCode,
    refused: Option<ServiceError>,
) -> HttpResponse {
    let stored = match releases::get(app, &session.principal, id).await {
        Ok(stored) => stored,
        Err(error) => return failed(app, req, session, error),
    };
    let mut frame = layout(session, stored.doc.plan.name.clone(), Section::Releases);
    let mut status = status;
    if let Some(error) = refused {
        status = super::show_refusal(&mut frame, error);
    }
    let release = ReleasePage {
        layout: frame,
        release: view(&stored, &session.principal, app.clock.now()),
    };
    page(app, req, Some(session), status, &release)
}

async fn release(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    match reader(&app, &req) {
        Ok(session) => release_page(&app, &req, &session, &id, StatusCode::OK, None).await,
        Err(answer) => answer,
    }
}

/// The changing part of a release page, which the script fetches when the release's
/// event stream ([`super::release_events`]) says it moved: `304` while the release is at
/// the version the page shows (`If-None-Match`), else the part with the new `ETag`.
/// It does not renew the session.
async fn live(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    let Ok(session) = Session::of(&app, &req) else {
        return super::plain_error(StatusCode::UNAUTHORIZED, "your session has ended");
    };
    let stored = match releases::get(&app, &session.principal, &id).await {
        Ok(stored) => stored,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let tag = format!("\"{}\"", stored.version);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == tag);
    if unchanged {
        return super::html(StatusCode::NOT_MODIFIED)
            .insert_header(("ETag", tag))
            .finish();
    }
    let part = ReleaseLive {
        layout: layout(&session, "", Section::Releases),
        release: view(&stored, &session.principal, app.clock.now()),
    };
    // No renewal of the session: a tab left open is not a person acting, so following
    // a release does not keep an idle session alive.
    let mut answer = page(&app, &req, None, StatusCode::OK, &part);
    if let Ok(value) = header::HeaderValue::from_str(&tag) {
        answer.headers_mut().insert(header::ETAG, value);
    }
    answer
}

/// What starting the release would do, with the warnings to acknowledge.
async fn start(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let stored = match releases::get(&app, &session.principal, &id).await {
        Ok(stored) => stored,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let preview = match releases::preview(&app, &session.principal, &id).await {
        Ok(preview) => preview,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let share = |s: rollgate_core::release::preview::Share| {
        if s.min == s.max {
            format!("{} %", f64::from(s.min) / 100.0)
        } else {
            format!(
                "{}–{} %",
                f64::from(s.min) / 100.0,
                f64::from(s.max) / 100.0
            )
        }
    };
    let start = StartPage {
        layout: layout(
            &session,
            format!("Start {}", stored.doc.plan.name),
            Section::Releases,
        ),
        id: stored.doc.id.clone(),
        name: stored.doc.plan.name.clone(),
        version: stored.version,
        flags: preview
            .flags
            .iter()
            .map(|f| PreviewFlag {
                key: format!("{} → {}", f.flag, f.variant),
                audiences: f
                    .exposure
                    .iter()
                    .map(|a| format!("{}: {} → {}", a.audience, share(a.before), share(a.after)))
                    .collect(),
            })
            .collect(),
        blockers: preview.blocked_by.iter().cloned().collect(),
        warnings: preview
            .warnings
            .iter()
            .map(|w| PreviewWarning {
                code: w.code.as_str().to_owned(),
                message: w.message.clone(),
            })
            .collect(),
        preflight: preview
            .preflight
            .as_ref()
            .map(|p| {
                vec![if p.passed() {
                    "every query answered".to_owned()
                } else {
                    "some queries failed: see the warnings".to_owned()
                }]
            })
            .unwrap_or_default(),
    };
    page(&app, &req, Some(&session), StatusCode::OK, &start)
}

/// The validation report, as the same standalone HTML the API serves (no script; its
/// own policy allows only its inline style and charts).
async fn report(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match reports::report(&app, &session.principal, &id).await {
        Ok(served) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
            ))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(reports::html::render(&served.report)),
        Err(error) => failed(&app, &req, &session, error),
    }
}

/// The team's changelog, as Markdown text.
async fn changelog(app: Data<App>, req: HttpRequest) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match changelog::for_team(&app, &session.principal, View::Internal, None).await {
        Ok(entries) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; frame-ancestors 'none'",
            ))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(changelog::markdown::changelog(&entries, View::Internal)),
        Err(error) => failed(&app, &req, &session, error),
    }
}
