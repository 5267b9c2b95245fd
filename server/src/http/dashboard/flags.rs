//! The flag pages: the list of one environment's flags (searchable, paged, read from
//! the served catalog, so a long list costs no store read) and one flag — each
//! environment's configuration, the kill switch, the rollout percentage, its history
//! from the audit log with "restore this version", and an evaluation for a context.
//!
//! Writes name the flag version the page showed (`If-Match`); when someone changed the
//! flag meanwhile, the page comes back with the newer version and what was typed.

use actix_web::http::StatusCode;
use actix_web::web::{self, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_core::model::{Flag, FlagConfig, Serve, WeightedVariant};
use rollgate_dashboard::flags::{FlagList, FlagRow};
use rollgate_dashboard::layout::Section;
use serde::Deserialize;

use super::flag_page::{FlagWrite, flag_page};
use super::form::Fields;
use super::{layout, page, reader, see_other, writer};
use crate::service::{App, ServiceError, flags, releases};

/// Flags on one page of the list.
const PAGE: usize = 50;

/// Registers the routes.
pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(crate::http::resource("/flags").route(web::get().to(list)))
        .service(crate::http::resource("/flags/{key}").route(web::get().to(super::flag_page::show)))
        .service(
            crate::http::resource("/flags/{key}/environments/{environment}/{setting}")
                .route(web::post().to(configure_environment)),
        )
        .service(
            crate::http::resource("/flags/{key}/restore/{revision}").route(web::post().to(restore)),
        );
}

/// The percentage of a two-way split between a variant and the off variant: the share
/// of the variant that is not `off_variant`.
pub(super) fn rollout_percent(config: &FlagConfig) -> Option<f64> {
    let split = config.default.rollout.as_ref()?;
    if split.len() != 2 || config.default.total_weight.is_some() {
        return None;
    }
    let on = split.iter().find(|w| w.variant != config.off_variant)?;
    split.iter().find(|w| w.variant == config.off_variant)?;
    Some(f64::from(on.weight) / 100.0)
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    environment: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
}

async fn list(app: Data<App>, req: HttpRequest, query: Query<ListQuery>) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let environments = super::environment_names(&app, &session);
    let environment = if environments.contains(&query.environment) {
        query.environment.clone()
    } else {
        environments
            .iter()
            .find(|e| *e == "production")
            .or(environments.first())
            .cloned()
            .unwrap_or_default()
    };
    let owners = releases::list(&app, &session.principal, None, Some(&environment))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !r.doc.state.is_terminal() && r.doc.current_stage.is_some())
        .flat_map(|r| {
            let id = r.doc.id.clone();
            r.doc
                .plan
                .flags
                .iter()
                .map(move |f| (f.key.clone(), id.clone()))
                .collect::<Vec<_>>()
        })
        .collect::<std::collections::BTreeMap<_, _>>();
    let catalog = app.hub.catalog();
    let needle = query.q.trim().to_lowercase();
    let matching: Vec<_> = catalog
        .flags
        .values()
        .map(|v| &v.doc)
        .filter(|f| {
            needle.is_empty()
                || f.key.to_lowercase().contains(&needle)
                || f.description.to_lowercase().contains(&needle)
        })
        .collect();
    let pages = matching.len().div_ceil(PAGE).max(1);
    let page_number = query.page.unwrap_or(1).clamp(1, pages);
    let rows = matching
        .iter()
        .skip((page_number - 1) * PAGE)
        .take(PAGE)
        .map(|flag| {
            let config = flag.environments.get(&environment);
            FlagRow {
                key: flag.key.clone(),
                description: flag.description.clone(),
                state: match config {
                    Some(c) if c.enabled => "on".to_owned(),
                    Some(_) => "off".to_owned(),
                    None => "not configured".to_owned(),
                },
                rollout: config.and_then(|c| rollout_percent(c)),
                owner: owners.get(&flag.key).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let list = FlagList {
        layout: layout(&session, "Flags", Section::Flags),
        environment,
        environments,
        query: query.q.clone(),
        rows,
        page: page_number,
        pages,
        total: matching.len(),
    };
    page(&app, &req, Some(&session), StatusCode::OK, &list)
}

/// `config` with its split set to `percent` % for the variant that is not off.
fn with_rollout(config: &FlagConfig, percent: f64) -> Option<FlagConfig> {
    let split = config.default.rollout.as_ref()?;
    let on = split.iter().find(|w| w.variant != config.off_variant)?;
    let points = (percent * 100.0).round();
    if !(0.0..=10_000.0).contains(&points) {
        return None;
    }
    // In range 0..=10 000, so the cast is exact.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked above"
    )]
    let points = points as u32;
    let mut next = config.clone();
    next.default = Serve {
        rollout: Some(vec![
            WeightedVariant {
                variant: on.variant.clone(),
                weight: points,
            },
            WeightedVariant {
                variant: config.off_variant.clone(),
                weight: 10_000 - points,
            },
        ]),
        ..config.default.clone()
    };
    Some(next)
}

/// Turns a flag on or off in an environment (`enabled`), or sets its rollout
/// (`rollout`).
async fn configure_environment(
    app: Data<App>,
    req: HttpRequest,
    path: Path<(String, String, String)>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (key, environment, setting) = path.into_inner();
    let typed = match setting.as_str() {
        "enabled" => fields.get("enabled").unwrap_or("").to_owned(),
        _ => fields.get("percent").unwrap_or("").trim().to_owned(),
    };
    let result = change(
        &app,
        &session,
        &key,
        &environment,
        &setting,
        &typed,
        &fields,
    )
    .await;
    match result {
        Ok(()) => see_other(&app, &req, &session, &format!("/flags/{key}")),
        Err(error) => {
            let write = FlagWrite {
                environment,
                typed,
                error,
            };
            flag_page(&app, &req, &session, &key, None, None, Some(write)).await
        }
    }
}

async fn change(
    app: &App,
    session: &super::session::Session,
    key: &str,
    environment: &str,
    setting: &str,
    typed: &str,
    fields: &Fields,
) -> Result<(), ServiceError> {
    let catalog = app.hub.catalog();
    let config = catalog
        .flags
        .get(key)
        .and_then(|f| f.doc.environments.get(environment))
        .map(|c| (**c).clone())
        .ok_or_else(|| {
            ServiceError::invalid(
                "environment",
                format!("flag {key:?} has no configuration in {environment:?}"),
            )
        })?;
    let next = match setting {
        "enabled" => FlagConfig {
            enabled: typed == "true",
            ..config
        },
        "rollout" => {
            let percent = typed.parse::<f64>().ok().filter(|p| p.is_finite());
            percent
                .and_then(|p| with_rollout(&config, p))
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "percent",
                        format!("{typed:?} is not a percentage from 0 to 100"),
                    )
                })?
        }
        _ => return Err(ServiceError::invalid("setting", "no such setting")),
    };
    let body = serde_json::to_vec(&next).map_err(ServiceError::unreadable)?;
    flags::put_environment(
        app,
        &session.principal,
        key,
        environment,
        &body,
        fields.if_match(),
        None,
    )
    .await
    .map(|_| ())
}

/// Writes the flag as it was after the change at `revision` (a new, audited write).
async fn restore(
    app: Data<App>,
    req: HttpRequest,
    path: Path<(String, u64)>,
    fields: web::Form<Fields>,
) -> HttpResponse {
    let session = match writer(&app, &req, &fields) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (key, revision) = path.into_inner();
    let result = async {
        let history = crate::service::audit::list(
            &app,
            &session.principal,
            Some("flag"),
            Some(key.clone()),
            Some(revision + 1),
            Some(1),
        )
        .await?;
        let after = history
            .into_iter()
            .find(|e| e.revision == revision)
            .and_then(|e| e.after)
            .ok_or_else(|| {
                ServiceError::invalid("revision", format!("no version of {key:?} at {revision}"))
            })?;
        let flag: Flag = serde_json::from_value(after).map_err(ServiceError::unreadable)?;
        let body = serde_json::to_vec(&flag).map_err(ServiceError::unreadable)?;
        let reason = format!("restored the version of revision {revision}");
        flags::put(
            &app,
            &session.principal,
            &key,
            &body,
            fields.if_match(),
            Some(&reason),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => see_other(&app, &req, &session, &format!("/flags/{key}")),
        Err(error) => {
            let write = FlagWrite {
                environment: String::new(),
                typed: String::new(),
                error,
            };
            flag_page(&app, &req, &session, &key, None, None, Some(write)).await
        }
    }
}
