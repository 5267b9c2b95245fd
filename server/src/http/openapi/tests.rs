//! The document says what the server really answers (found by Schemathesis): problems
//! are documented as `application/problem+json`, every operation that needs a
//! credential documents the `401` it answers without one, and the document's methods
//! of a route are the `Allow` of its `405`.

#![allow(clippy::unwrap_used, reason = "tests")]

use serde_json::Value;
use utoipa::OpenApi;

use super::ApiDoc;
use crate::http::problem::PROBLEM_JSON;

/// Every (method, path, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            found.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    found
}

fn document() -> Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap()
}

#[test]
fn every_problem_response_is_documented_as_application_problem_json() {
    let doc = document();
    let problem = "#/components/schemas/Problem";
    let mut problems = 0;
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                if content["schema"]["$ref"] == problem {
                    assert_eq!(media, PROBLEM_JSON, "{method} {path} {status}");
                    problems += 1;
                }
            }
        }
    }
    assert!(problems >= 40, "only {problems} problem responses found");
}

#[test]
fn every_operation_with_a_credential_documents_401() {
    let doc = document();
    let mut secured = 0;
    for (method, path, operation) in operations(&doc) {
        if operation["security"].as_array().is_none_or(Vec::is_empty) {
            continue;
        }
        secured += 1;
        let responses = &operation["responses"];
        assert!(
            responses.get("401").is_some() || responses.get("4XX").is_some(),
            "{method} {path} answers 401 without a credential but does not document it"
        );
    }
    assert!(secured > 30, "only {secured} secured operations found");
}

#[test]
fn the_allowed_methods_of_a_route_come_from_the_document() {
    assert_eq!(
        super::allowed_methods("/api/v1/flags/{key}"),
        Some("GET, PUT, DELETE")
    );
    assert_eq!(super::allowed_methods("/api/v1/flags"), Some("GET"));
    assert_eq!(super::allowed_methods("/api/v1/nothing-here"), None);
}
