//! The OpenAPI document the server serves, read as data: its operations (to walk every
//! route) and its schemas (to check that what the handlers accept and answer is what
//! the document says), validated with JSON Schema draft 2020-12.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::Server;

/// One documented operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/api/v1/flags/{key}`.
    pub path: String,
    /// Whether the operation declares a security requirement.
    pub secured: bool,
}

/// `/api/v1/openapi.json`, fetched without credentials.
#[derive(Clone, Debug)]
pub struct ApiDocument {
    /// The document.
    pub doc: Value,
}

impl ApiDocument {
    /// Fetches the document from a running server.
    pub async fn fetch(server: &Server) -> ApiDocument {
        let reply = server
            .call(server.request(Method::GET, "/api/v1/openapi.json", None))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.is_object(), "not JSON: {}", reply.body);
        ApiDocument { doc: reply.body }
    }

    /// Every documented operation.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = Vec::new();
        let paths = self.doc["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("path item") {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                if !matches!(
                    method,
                    Method::GET | Method::PUT | Method::POST | Method::DELETE | Method::PATCH
                ) {
                    continue;
                }
                let secured = operation["security"]
                    .as_array()
                    .or_else(|| self.doc["security"].as_array())
                    .is_some_and(|s| !s.is_empty());
                operations.push(Operation {
                    method,
                    path: path.clone(),
                    secured,
                });
            }
        }
        operations
    }

    fn operation(&self, method: &Method, path: &str) -> &Value {
        let operation = &self.doc["paths"][path][method.as_str().to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the document"
        );
        operation
    }

    /// The JSON schema of the request body of `method path`.
    pub fn request_schema(&self, method: &Method, path: &str) -> Value {
        let schema =
            &self.operation(method, path)["requestBody"]["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} documents no JSON request body"
        );
        schema.clone()
    }

    /// The JSON schema of the `status` response of `method path` (falling back to the
    /// `4XX` range the way OpenAPI does).
    pub fn response_schema(&self, method: &Method, path: &str, status: u16) -> Value {
        let responses = &self.operation(method, path)["responses"];
        let range = format!("{}XX", status / 100);
        let response = [status.to_string(), range, "default".to_owned()]
            .iter()
            .map(|code| &responses[code.as_str()])
            .find(|r| r.is_object())
            .unwrap_or_else(|| panic!("{method} {path} documents no {status} response"));
        let content = response["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} {status} documents no body"));
        let (_, media) = content
            .iter()
            .find(|(kind, _)| kind.ends_with("json"))
            .unwrap_or_else(|| panic!("{method} {path} {status} documents no JSON body"));
        media["schema"].clone()
    }

    /// The schema `#/components/schemas/{name}`.
    pub fn component(&self, name: &str) -> Value {
        let schema = &self.doc["components"]["schemas"][name];
        assert!(schema.is_object(), "no component schema {name:?}");
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// The problems of `instance` against `schema` (a schema taken from this document,
    /// whose `$ref`s point into its components); empty when it is valid.
    pub fn problems(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = Map::new();
        root.insert(
            "$schema".to_owned(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("components".to_owned(), self.doc["components"].clone());
        // `allOf` keeps the schema's own keywords apart from the embedded components.
        root.insert("allOf".to_owned(), json!([schema]));
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("the document's schema {schema} does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// Panics unless `instance` is valid against `schema`.
    #[track_caller]
    pub fn assert_valid(&self, what: &str, schema: &Value, instance: &Value) {
        let problems = self.problems(schema, instance);
        assert!(
            problems.is_empty(),
            "{what} does not match its schema {schema}:\n  {}\ninstance: {instance}",
            problems.join("\n  ")
        );
    }
}
