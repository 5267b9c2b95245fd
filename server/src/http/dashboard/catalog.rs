//! The catalog's read pages besides flags: segments and rings, environments with their
//! release policy (both read from the served catalog, so they cost no store read), the
//! webhooks with each one's delivery log, and the audit log, paged backwards by
//! revision. Every one needs only a session: a viewer reads them all, and the services
//! check the role again.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_core::model::BUILTIN_SEGMENTS;
use rollgate_core::release::ReleaseState;
use rollgate_dashboard::catalog::{
    AuditLog, AuditRow, DeliveryRow, EnvironmentList, EnvironmentRow, Pager, SegmentList,
    SegmentRow, WebhookList, WebhookPage, WebhookRow,
};
use rollgate_dashboard::flags::HistoryRow;
use rollgate_dashboard::layout::Section;
use serde::Deserialize;

use super::flag_page::diff;
use super::release_view::when;
use super::releases::failed;
use super::{layout, page, reader};
use crate::infra::store::Kind;
use crate::service::webhooks::{Delivery, DeliveryState, SubscriptionView};
use crate::service::{App, audit, releases, webhooks};

/// Items on one page of a list.
const PAGE: usize = 50;

/// Registers the routes.
pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(crate::http::resource("/segments").route(web::get().to(segments)))
        .service(crate::http::resource("/environments").route(web::get().to(environments)))
        .service(crate::http::resource("/webhooks").route(web::get().to(webhook_list)))
        .service(crate::http::resource("/webhooks/{id}").route(web::get().to(webhook)))
        .service(crate::http::resource("/audit").route(web::get().to(audit_log)));
}

/// A page number.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: Option<usize>,
}

async fn segments(app: Data<App>, req: HttpRequest, query: Query<PageQuery>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let catalog = app.hub.catalog();
    let total = catalog.segments.len();
    let pager = Pager::new(query.page.unwrap_or(1), total, PAGE, "/segments?page=");
    let rows = catalog
        .segments
        .values()
        .skip(pager.range(total, PAGE).start)
        .take(PAGE)
        .map(|v| {
            let segment = &v.doc;
            SegmentRow {
                key: segment.key.clone(),
                description: segment.description.clone(),
                ring: BUILTIN_SEGMENTS.contains(&segment.key.as_str()),
                included: segment.include.len(),
                excluded: segment.exclude.len(),
                rules: serde_json::to_string_pretty(&segment.rules).unwrap_or_default(),
                rule_count: segment.rules.len(),
            }
        })
        .collect();
    let list = SegmentList {
        layout: layout(&session, "Segments", Section::Segments),
        rows,
        pager,
    };
    page(&app, &req, Some(&session), StatusCode::OK, &list)
}

async fn environments(app: Data<App>, req: HttpRequest) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let in_flight = match releases::list(&app, &session.principal, None, None).await {
        Ok(all) => all,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let catalog = app.hub.catalog();
    let rows = super::environment_names(&app, &session)
        .into_iter()
        .filter_map(|key| catalog.environments.get(&key))
        .map(|v| {
            let environment = &v.doc;
            EnvironmentRow {
                key: environment.key.clone(),
                description: environment.description.clone(),
                min_approvals: environment.min_approvals(),
                signoffs: environment.required_signoffs().to_vec(),
                in_flight: in_flight
                    .iter()
                    .filter(|r| r.doc.plan.environment == environment.key)
                    .filter(|r| matches!(r.doc.state, ReleaseState::Running | ReleaseState::Paused))
                    .count(),
            }
        })
        .collect();
    let list = EnvironmentList {
        layout: layout(&session, "Environments", Section::Environments),
        rows,
    };
    page(&app, &req, Some(&session), StatusCode::OK, &list)
}

fn webhook_row(view: &SubscriptionView) -> WebhookRow {
    WebhookRow {
        id: view.id.clone(),
        url: view.url.clone(),
        description: view.description.clone(),
        events: view.events.iter().map(|e| e.as_str().to_owned()).collect(),
        active: view.active,
        created: format!("{} at {}", view.created_by, when(view.created_at)),
    }
}

async fn webhook_list(app: Data<App>, req: HttpRequest) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match webhooks::list(&app, &session.principal).await {
        Ok(all) => {
            let list = WebhookList {
                layout: layout(&session, "Webhooks", Section::Webhooks),
                rows: all.iter().map(|w| webhook_row(&w.doc)).collect(),
            };
            page(&app, &req, Some(&session), StatusCode::OK, &list)
        }
        Err(error) => failed(&app, &req, &session, error),
    }
}

fn delivery_row(delivery: &Delivery) -> DeliveryRow {
    let last = delivery.attempts.last().map_or_else(String::new, |a| {
        let answer = match (a.status, &a.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        };
        format!("{answer} at {} in {} ms", when(a.at), a.duration_ms)
    });
    DeliveryRow {
        id: delivery.id.clone(),
        event: delivery.event.as_str().to_owned(),
        release: delivery.release.clone(),
        created_at: when(delivery.created_at),
        state: match delivery.state {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
        .to_owned(),
        attempts: u32::try_from(delivery.attempts.len()).unwrap_or(u32::MAX),
        last,
    }
}

async fn webhook(
    app: Data<App>,
    req: HttpRequest,
    id: Path<String>,
    query: Query<PageQuery>,
) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let subscription = match webhooks::get(&app, &session.principal, &id).await {
        Ok(subscription) => subscription,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let log = match webhooks::delivery_log(&app, &session.principal, &id).await {
        Ok(log) => log,
        Err(error) => return failed(&app, &req, &session, error),
    };
    let link = format!("/webhooks/{}?page=", subscription.doc.id);
    let pager = Pager::new(query.page.unwrap_or(1), log.len(), PAGE, link);
    let shown = WebhookPage {
        layout: layout(&session, "Webhook", Section::Webhooks),
        webhook: webhook_row(&subscription.doc),
        deliveries: log[pager.range(log.len(), PAGE)]
            .iter()
            .map(delivery_row)
            .collect(),
        pager,
    };
    page(&app, &req, Some(&session), StatusCode::OK, &shown)
}

/// The audit log's filter and where its page starts.
#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    before: Option<u64>,
}

async fn audit_log(app: Data<App>, req: HttpRequest, query: Query<AuditQuery>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let kind = Some(query.kind.as_str()).filter(|k| !k.is_empty());
    let found = audit::list(
        &app,
        &session.principal,
        kind,
        None,
        query.before,
        Some(PAGE),
    )
    .await;
    match found {
        Ok(events) => {
            // A page never splits a commit, so it may hold fewer than PAGE entries with
            // more behind it: ask for one older entry.
            let older = match events.last() {
                Some(last) => audit::list(
                    &app,
                    &session.principal,
                    kind,
                    None,
                    Some(last.revision),
                    Some(1),
                )
                .await
                .is_ok_and(|more| !more.is_empty())
                .then(|| audit_link(&query.kind, last.revision)),
                None => None,
            };
            let rows = events
                .iter()
                .map(|event| AuditRow {
                    kind: event.kind.as_str().to_owned(),
                    key: event.key.clone(),
                    entry: HistoryRow {
                        revision: event.revision,
                        at: when(event.at),
                        actor: event.actor.clone(),
                        action: event.action.clone(),
                        diff: diff(event.before.as_ref(), event.after.as_ref()),
                        restorable: false,
                    },
                })
                .collect();
            let log = AuditLog {
                layout: layout(&session, "Audit log", Section::Audit),
                kind: query.kind.clone(),
                kinds: Kind::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
                rows,
                older,
            };
            page(&app, &req, Some(&session), StatusCode::OK, &log)
        }
        Err(error) => failed(&app, &req, &session, error),
    }
}

/// The audit page of `kind` with revisions below `before`.
fn audit_link(kind: &str, before: u64) -> String {
    let kind: String = url::form_urlencoded::byte_serialize(kind.as_bytes()).collect();
    format!("/audit?kind={kind}&before={before}")
}
