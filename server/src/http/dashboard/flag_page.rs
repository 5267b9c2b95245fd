//! One flag's page: its configuration per environment with the kill switch and the
//! rollout, its history (before → after, "restore this version"), an evaluation for a
//! context, and — after a refused write — the refusal, with a newer version shown and
//! what was typed kept.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use rollgate_core::model::Flag;
use rollgate_dashboard::flags::{
    ConflictView, EnvironmentConfig, EvaluationView, FlagPage, HistoryRow,
};
use rollgate_dashboard::layout::{FieldMessage, Section};
use serde::Deserialize;
use serde_json::Value;

use super::flags::rollout_percent;
use super::release_view::when;
use super::session::Session;
use super::{layout, page, reader};
use crate::service::{App, ServiceError, audit, documents};

/// Entries of the history shown.
const HISTORY: usize = 20;

/// A write that was refused: where, what was typed, and why.
pub(super) struct FlagWrite {
    /// The environment written ("" for the whole flag).
    pub environment: String,
    /// What was typed.
    pub typed: String,
    /// Why it was refused.
    pub error: ServiceError,
}

/// The page's query: an evaluation to show.
#[derive(Debug, Default, Deserialize)]
pub(super) struct EvaluateQuery {
    environment: Option<String>,
    context: Option<String>,
}

pub(super) async fn show(
    app: Data<App>,
    req: HttpRequest,
    key: Path<String>,
    query: Query<EvaluateQuery>,
) -> HttpResponse {
    let session = match reader(&app, &req) {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let query = query.into_inner();
    flag_page(
        &app,
        &req,
        &session,
        &key,
        query.environment,
        query.context,
        None,
    )
    .await
}

/// Lines of `before` that are not in `after` (`- …`) and of `after` not in `before`
/// (`+ …`), over their pretty JSON.
pub(super) fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let lines = |v: Option<&Value>| -> Vec<String> {
        v.and_then(|v| serde_json::to_string_pretty(v).ok())
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let (old, new) = (lines(before), lines(after));
    let mut out: Vec<String> = old
        .iter()
        .filter(|l| !new.contains(l))
        .map(|l| format!("- {}", l.trim()))
        .collect();
    out.extend(
        new.iter()
            .filter(|l| !old.contains(l))
            .map(|l| format!("+ {}", l.trim())),
    );
    out
}

/// What evaluating the flag in `environment` for the typed `context` gives.
fn evaluation(
    app: &App,
    key: &str,
    environment: &str,
    context: &str,
) -> Result<EvaluationView, String> {
    let served = app
        .hub
        .snapshot(environment)
        .ok_or_else(|| format!("no environment {environment:?}"))?;
    let body = format!("{{\"context\": {context}}}");
    let context_value = rollgate_core::ofrep::request_context(body.as_bytes())
        .map_err(|e| format!("the context is not a JSON object of attributes: {e}"))?;
    let evaluated = rollgate_core::evaluate(&served.snapshot, key, &context_value);
    let catalog = app.hub.catalog();
    let rules = catalog
        .flags
        .get(key)
        .and_then(|f| f.doc.environments.get(environment))
        .map(|config| config.rules.as_slice())
        .unwrap_or_default();
    let matched = evaluated
        .rule_index()
        .and_then(|index| Some((index, rules.get(index)?)));
    Ok(EvaluationView {
        context: context.to_owned(),
        value: evaluated
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "(none)".to_owned()),
        variant: evaluated.variant.unwrap_or("(none)").to_owned(),
        reason: evaluated.reason.as_str().to_owned(),
        error: match (evaluated.error, &evaluated.error_details) {
            (Some(code), Some(details)) => format!("{}: {details}", code.as_str()),
            (Some(code), None) => code.as_str().to_owned(),
            _ => String::new(),
        },
        rule: matched
            .map(|(index, _)| format!("rule {} of {}", index + 1, rules.len()))
            .unwrap_or_default(),
        rule_json: matched
            .and_then(|(_, rule)| serde_json::to_string_pretty(rule).ok())
            .unwrap_or_default(),
    })
}

/// The page of flag `key`.
pub(super) async fn flag_page(
    app: &App,
    req: &HttpRequest,
    session: &Session,
    key: &str,
    evaluate_in: Option<String>,
    context: Option<String>,
    refused: Option<FlagWrite>,
) -> HttpResponse {
    let stored = match documents::get::<Flag>(app, &session.principal, key).await {
        Ok(stored) => stored,
        Err(error) => return super::releases::failed(app, req, session, error),
    };
    let flag = &stored.doc;
    let mut frame = layout(session, key, Section::Flags);
    let mut status = StatusCode::OK;
    let mut conflict = None;
    let mut typed_in: Option<(String, String)> = None;
    if let Some(write) = refused {
        status = super::show_refusal(&mut frame, write.error);
        if matches!(
            status,
            StatusCode::PRECONDITION_FAILED | StatusCode::PRECONDITION_REQUIRED
        ) {
            conflict = Some(ConflictView {
                environment: write.environment.clone(),
                current_version: stored.version,
                typed: write.typed.clone(),
            });
        }
        typed_in = Some((write.environment, write.typed));
    }
    let visible = super::environment_names(app, session);
    let environments: Vec<EnvironmentConfig> = flag
        .environments
        .iter()
        .filter(|(name, _)| visible.contains(name))
        .map(|(name, config)| {
            let rollout = rollout_percent(config);
            let typed_percent = match &typed_in {
                Some((env, typed)) if env == name && !typed.is_empty() => typed.clone(),
                _ => rollout.map(|p| p.to_string()).unwrap_or_default(),
            };
            EnvironmentConfig {
                environment: name.clone(),
                enabled: config.enabled,
                rollout,
                json: serde_json::to_string_pretty(config).unwrap_or_default(),
                typed_percent,
            }
        })
        .collect();
    let current = serde_json::to_value(flag).ok();
    let history = audit::list(
        app,
        &session.principal,
        Some("flag"),
        Some(key.to_owned()),
        None,
        Some(HISTORY),
    )
    .await
    .unwrap_or_default()
    .into_iter()
    .map(|event| HistoryRow {
        revision: event.revision,
        at: when(event.at),
        actor: event.actor.clone(),
        action: event.action.clone(),
        diff: diff(event.before.as_ref(), event.after.as_ref()),
        restorable: event.after.is_some() && event.after != current,
    })
    .collect();
    let evaluate_in = evaluate_in
        .filter(|e| visible.contains(e))
        .or_else(|| visible.iter().find(|e| *e == "production").cloned())
        .or_else(|| visible.first().cloned())
        .unwrap_or_default();
    let evaluation = match context {
        Some(context) => match evaluation(app, key, &evaluate_in, &context) {
            Ok(view) => Some(view),
            Err(message) => {
                frame.errors.push(FieldMessage {
                    field: "context".to_owned(),
                    message,
                });
                status = StatusCode::BAD_REQUEST;
                Some(EvaluationView {
                    context,
                    ..EvaluationView::default()
                })
            }
        },
        None => None,
    };
    let flag_page = FlagPage {
        layout: frame,
        key: flag.key.clone(),
        description: flag.description.clone(),
        version: stored.version,
        variants: flag
            .variants
            .iter()
            .map(|(name, value)| format!("{name} = {value}"))
            .collect(),
        environments,
        history,
        evaluate_in,
        evaluation,
        conflict,
    };
    page(app, req, Some(session), status, &flag_page)
}
