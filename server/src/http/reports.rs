//! Handlers for validation reports and the changelog (docs/product.md §6):
//! `GET /api/v1/releases/{id}/report` (JSON, Markdown or HTML, by `?format=` or
//! `Accept`), `GET /api/v1/changelog` (JSON or Markdown, internal or public view) and
//! `GET /changelog.atom` (the public Atom feed, no token).

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::extract::etag;
use super::problem::{ApiError, Problem};
use super::request_error::RequestError;
use crate::service::changelog::{self, ChangelogEntry, View, atom};
use crate::service::reports::addendum::{self, Addendum};
use crate::service::reports::{self, Report};
use crate::service::{App, Principal};

/// Registers the routes. Must come before the release actions' `{id}/{action}` route,
/// which would otherwise take `report` for an action.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(super::resource("/api/v1/releases/{id}/report").route(web::get().to(get_report)))
        .service(
            super::resource("/api/v1/releases/{id}/report/addenda")
                .route(web::get().to(list_addenda)),
        )
        .service(super::resource("/api/v1/changelog").route(web::get().to(get_changelog)))
        .service(super::resource("/changelog.atom").route(web::get().to(changelog_feed)));
}

/// A representation of a report or changelog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Markdown,
    Html,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Picks the format: `?format=` wins, else the first `Accept` type offered, else JSON.
fn negotiate(
    asked: Option<&str>,
    headers: &HeaderMap,
    offered: &[(Format, &'static str, &'static str)],
) -> Result<Format, ApiError> {
    let names: Vec<&'static str> = offered.iter().map(|(_, name, _)| *name).collect();
    if let Some(asked) = asked {
        return offered
            .iter()
            .find(|(_, name, _)| *name == asked || (*name == "md" && asked == "markdown"))
            .map(|(format, _, _)| *format)
            .ok_or_else(|| {
                RequestError::UnknownFormat {
                    asked: asked.to_owned(),
                    offered: names,
                }
                .into()
            });
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Format::Json);
    };
    let mut wildcard = false;
    for item in accept.split(',') {
        let essence = item
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "*/*" || essence == "text/*" || essence == "application/*" {
            wildcard = true;
        }
        if let Some((format, _, _)) = offered.iter().find(|(_, _, mime)| *mime == essence) {
            return Ok(*format);
        }
    }
    if wildcard {
        return Ok(Format::Json);
    }
    Err(RequestError::NotAcceptable {
        accept: accept.to_owned(),
        types: offered.iter().map(|(_, _, mime)| *mime).collect(),
        formats: names,
    }
    .into())
}

/// The format of a report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    /// `json`, `md` or `html`; overrides `Accept`.
    format: Option<String>,
}

/// The validation report of a release. While the release runs it is computed on
/// demand (`"final": false`, no `ETag`); once it ends it is stored and served byte for
/// byte ever after (`"final": true`, `ETag: "1"`). HTML is one standalone page with
/// inline CSS and SVG charts. Markdown and HTML append the report's addenda (the watch
/// after release); the JSON is the stored report alone (addenda: `…/report/addenda`).
#[utoipa::path(get, path = "/api/v1/releases/{id}/report", tag = "reports",
    params(("id" = String, Path), ReportQuery,
           ("Accept" = Option<String>, Header, description = "application/json, text/markdown or text/html")),
    responses(
        (status = 200, description = "The report", content(
            (Report = "application/json"),
            (String = "text/markdown"),
            (String = "text/html"))),
        (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_report(
    app: web::Data<App>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    let format = negotiate(
        query.format.as_deref(),
        req.headers(),
        &[
            (Format::Json, "json", "application/json"),
            (Format::Markdown, "md", "text/markdown"),
            (Format::Html, "html", "text/html"),
        ],
    )?;
    let served = reports::report(&app, &caller, &id).await?;
    let addenda = addendum::read(&app, &id).await?;
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    if let Some(version) = served.version {
        response.insert_header(("ETag", etag(version)));
    }
    Ok(match format {
        Format::Json => response.body(served.json.to_vec()),
        Format::Markdown => {
            let mut text = reports::markdown::render(&served.report);
            for addendum in &addenda {
                reports::markdown::addendum(&mut text, addendum);
            }
            response.body(text)
        }
        Format::Html => response
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ))
            .body(reports::html::with_addenda(
                reports::html::render(&served.report),
                &addenda,
            )),
    })
}

/// The addenda of a release's report, oldest first: what was learnt after the report
/// was written (the watch after release, with its KPIs). Each is written once and
/// never changes; the report itself stays as it was stored (its Markdown and HTML
/// renderings show the addenda after its own text).
#[utoipa::path(get, path = "/api/v1/releases/{id}/report/addenda", tag = "reports",
    params(("id" = String, Path)),
    responses((status = 200, body = [Addendum]), (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn list_addenda(
    app: web::Data<App>,
    id: web::Path<String>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(addendum::list(&app, &caller, &id).await?))
}

/// Which changelog.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangelogQuery {
    /// `internal` (default: with exposures, rollback reasons and incidents) or
    /// `public` (what end users see).
    view: Option<String>,
    /// `json` or `md`; overrides `Accept`.
    format: Option<String>,
    /// Only releases of this environment.
    environment: Option<String>,
}

/// The changelog: per release, the features delivered to each audience and the
/// version, most recently changed first. Releases that never started are left out;
/// rolled-back ones deliver nothing (each earlier delivery shows when it was withdrawn).
#[utoipa::path(get, path = "/api/v1/changelog", tag = "reports", params(ChangelogQuery,
        ("Accept" = Option<String>, Header, description = "application/json or text/markdown")),
    responses(
        (status = 200, description = "The changelog", content(
            (Vec<ChangelogEntry> = "application/json"),
            (String = "text/markdown"))),
        (status = "4XX", body = Problem)),
    security(("admin_token" = [])))]
pub(crate) async fn get_changelog(
    app: web::Data<App>,
    req: HttpRequest,
    query: web::Query<ChangelogQuery>,
    caller: Principal,
) -> Result<HttpResponse, ApiError> {
    let view = match query.view.as_deref() {
        None | Some("internal") => View::Internal,
        Some("public") => View::Public,
        Some(other) => {
            return Err(RequestError::UnknownView(other.to_owned()).into());
        }
    };
    let format = negotiate(
        query.format.as_deref(),
        req.headers(),
        &[
            (Format::Json, "json", "application/json"),
            (Format::Markdown, "md", "text/markdown"),
        ],
    )?;
    let entries = changelog::for_team(&app, &caller, view, query.environment.as_deref()).await?;
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    Ok(match format {
        Format::Markdown => response.body(changelog::markdown::changelog(&entries, view)),
        _ => response.json(entries),
    })
}

/// Which feed.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedQuery {
    /// Only releases of this environment.
    environment: Option<String>,
}

/// The public changelog as an Atom feed for end users. No token: feed readers cannot
/// send one, and the feed holds only what end users are told (names, versions, flags,
/// audiences, dates) — never incidents, reasons, exposures or names of people.
/// `changelog.public_feed = false` turns it off (404).
#[utoipa::path(get, path = "/changelog.atom", tag = "reports", params(FeedQuery),
    responses(
        (status = 200, description = "An Atom 1.0 feed", content_type = "application/atom+xml", body = String),
        (status = "4XX", body = Problem)))]
pub(crate) async fn changelog_feed(
    app: web::Data<App>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    if !app.settings.changelog.public_feed {
        return Err(RequestError::FeedOff.into());
    }
    let environment = query.environment.as_deref();
    let entries = changelog::public(&app, environment).await?;
    let self_url = format!(
        "{}{}",
        super::origin::absolute_url(&req, &app.settings),
        req.uri()
            .path_and_query()
            .map_or("/changelog.atom", |p| p.as_str())
    );
    let body = atom::feed(
        &entries,
        &atom::FeedLocation {
            self_url: &self_url,
            environment,
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(body))
}
