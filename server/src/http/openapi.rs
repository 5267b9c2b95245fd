//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers' annotations
//! and the model's schemas, served at `/api/v1/openapi.json`.

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{access, documents, health, ofrep, sdk};

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
        ofrep::evaluate_flag, ofrep::evaluate_flags, ofrep::configuration, sdk::event_stream,
        sdk::ruleset, sdk::stream, sdk::report_exposures,
        health::healthz, health::readyz, health::metrics, openapi_json,
    ),
    modifiers(&Security),
    tags(
        (name = "flags", description = "Flags and their per-environment configuration"),
        (name = "segments", description = "Audiences, including the alpha, beta and general rings"),
        (name = "environments", description = "Namespaces of flag state"),
        (name = "tokens", description = "SDK keys and admin tokens"),
        (name = "audit", description = "Who changed what, when"),
        (name = "ofrep", description = "OpenFeature Remote Evaluation Protocol"),
        (name = "sdk", description = "SDK sync: ruleset, change stream, exposures"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

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

/// Registers the route.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(super::resource("/api/v1/openapi.json").route(web::get().to(openapi_json)));
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses((status = 200, content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
