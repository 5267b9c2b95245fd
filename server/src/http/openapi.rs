//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers' annotations
//! and the model's schemas, served at `/api/v1/openapi.json`.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::problem::{PROBLEM_JSON, Problem};
use super::{
    access, catalog, documents, health, ofrep, release_log, release_plan, releases, reports, sdk,
    templates, testing, webhooks,
};

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Rollgate", description = "Feature flags and progressive delivery: admin API, OFREP and operations."),
    paths(
        documents::list_flags, documents::get_flag, documents::put_flag, documents::delete_flag,
        documents::get_flag_environment, documents::put_flag_environment, documents::delete_flag_environment,
        documents::list_segments, documents::get_segment, documents::put_segment, documents::delete_segment,
        documents::list_environments, documents::get_environment, documents::put_environment, documents::delete_environment,
        access::create_token, access::list_tokens, access::get_token, access::revoke_token, access::list_audit,
        catalog::export_catalog, catalog::import_catalog, catalog::import_flagd, catalog::export_flagd,
        ofrep::evaluate_flag, ofrep::evaluate_flags, ofrep::configuration, sdk::event_stream,
        sdk::ruleset, sdk::stream, sdk::report_exposures,
        health::healthz, health::readyz, health::metrics, openapi_json,
        releases::list_releases, releases::create_release, releases::get_release, releases::replace_release,
        releases::preview_start, releases::act, releases::set_percent, releases::check_item, releases::log_incident,
        release_plan::list_tasks, release_plan::update_task, release_plan::answer_resource,
        templates::list_templates, templates::create_template, templates::get_template,
        templates::replace_template, templates::delete_template,
        release_log::add_risk, release_log::update_risk, release_log::update_incident,
        reports::get_report, reports::list_addenda, reports::get_changelog, reports::changelog_feed,
        webhooks::create_webhook, webhooks::list_webhooks, webhooks::get_webhook, webhooks::replace_webhook,
        webhooks::delete_webhook, webhooks::list_deliveries,
        testing::get_clock, testing::move_clock,
    ),
    modifiers(&Security, &Versioned, &ProblemMedia),
    tags(
        (name = "flags", description = "Flags and their per-environment configuration"),
        (name = "segments", description = "Audiences, including the alpha, beta and general rings"),
        (name = "environments", description = "Namespaces of flag state"),
        (name = "tokens", description = "SDK keys and admin tokens"),
        (name = "audit", description = "Who changed what, when"),
        (name = "catalog", description = "Every environment, segment and flag as one document: backups"),
        (name = "ofrep", description = "OpenFeature Remote Evaluation Protocol"),
        (name = "sdk", description = "SDK sync: ruleset, change stream, exposures"),
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "releases", description = "Release plans, approvals and the manual control of rollouts"),
        (name = "templates", description = "Release templates: a team's plan written once, used to create releases"),
        (name = "reports", description = "Validation reports of releases, the changelog and its public Atom feed"),
        (name = "webhooks", description = "Subscriptions to release events and their delivery log"),
        (name = "testing", description = "Test-only endpoints, off unless testing.manual_clock_start is set"),
    )
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "admin_token",
            bearer("An admin token (rg_adm_…) with a role"),
        );
        components.add_security_scheme(
            "sdk_key",
            bearer("An SDK key (rg_sdk_…) bound to one environment"),
        );
    }
}

/// The versioned documents (`WithVersion<T>`) as they really are on the wire.
///
/// `WithVersion<T>` is `T` flattened plus `version`; utoipa renders that as an `allOf`
/// that no response can satisfy, because `T` refuses unknown fields and so refuses
/// `version`. Instead, each document gets `version` as an optional read-only property
/// (a request may carry it and it is ignored: `If-Match` carries the version of a
/// write), and `WithVersion_T` is the same object with `version` required.
struct Versioned;

impl Modify for Versioned {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in ["Flag", "Segment", "Environment", "Template"] {
            let Some(RefOr::T(Schema::Object(document))) = components.schemas.get_mut(name) else {
                continue;
            };
            let version = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .read_only(Some(true))
                .description(Some(
                    "The stored version, also sent as `ETag`; ignored in requests, where `If-Match` carries it.",
                ));
            document
                .properties
                .insert("version".to_owned(), version.into());
            let mut returned = document.clone();
            returned.required.push("version".to_owned());
            returned.description = Some(format!(
                "A {} as returned, with its version.",
                name.to_lowercase()
            ));
            components
                .schemas
                .insert(format!("WithVersion_{name}"), returned.into());
        }
    }
}

/// Problems are sent as `application/problem+json` (`problem.rs`); utoipa documents every
/// `body = Problem` as `application/json`, so each such response is moved to the media
/// type the server really sends.
struct ProblemMedia;

impl Modify for ProblemMedia {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = format!(
            "#/components/schemas/{}",
            <Problem as utoipa::ToSchema>::name()
        );
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
        });
        for operation in operations {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let is_problem = response.content.get("application/json").is_some_and(
                    |c| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == problem),
                );
                if is_problem
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM_JSON.to_owned(), content);
                }
            }
        }
    }
}

/// The methods the document gives the route `pattern` (as actix-web writes it, which is
/// how OpenAPI writes it too), as an `Allow` header value: `GET, PUT, DELETE`.
pub(crate) fn allowed_methods(pattern: &str) -> Option<&'static str> {
    static ALLOWED: OnceLock<HashMap<String, String>> = OnceLock::new();
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let allowed = ALLOWED.get_or_init(|| {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        let mut allowed = HashMap::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            let methods: Vec<String> = METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| method.to_ascii_uppercase())
                .collect();
            allowed.insert(path.clone(), methods.join(", "));
        }
        allowed
    });
    allowed.get(pattern).map(String::as_str)
}

/// Registers the route.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(super::resource("/api/v1/openapi.json").route(web::get().to(openapi_json)));
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses((status = 200, content_type = "application/json")))]
pub(crate) async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests;
