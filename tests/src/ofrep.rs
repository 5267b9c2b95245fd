//! OFREP from the outside: raw requests (the exact bytes matter — floats, big integers),
//! the checks every success and every error body must pass, and the flags the OFREP
//! tests evaluate, seeded through the admin API.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Server;

/// OpenFeature's reasons for a served value (docs/product.md §2).
pub const REASONS: [&str; 5] = ["STATIC", "DEFAULT", "TARGETING_MATCH", "SPLIT", "DISABLED"];

/// A response with its body kept as text.
#[derive(Debug)]
pub struct Raw {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body, byte for byte (as UTF-8).
    pub text: String,
}

impl Raw {
    /// The body parsed as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the body is declared as `application/json`.
    pub fn assert_json_content_type(&self) {
        let kind = self.header("content-type").unwrap_or_default();
        assert!(
            kind.starts_with("application/json"),
            "Content-Type is {kind:?}, not application/json; body {:?}",
            self.text
        );
    }
}

/// Sends `request` and keeps the body as text.
pub async fn send(request: reqwest::RequestBuilder) -> Raw {
    let response = request.send().await.expect("request sent");
    Raw {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body read"),
    }
}

/// `POST path` with a bearer token (or none) and a raw JSON body (or none).
pub async fn post(server: &Server, path: &str, token: Option<&str>, body: Option<&str>) -> Raw {
    let mut request = server.request(Method::POST, path, token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    send(request).await
}

/// Single evaluation of `flag` (used verbatim as the path segment) with a raw body.
pub async fn evaluate(server: &Server, sdk_key: &str, flag: &str, body: Option<&str>) -> Raw {
    post(
        server,
        &format!("/ofrep/v1/evaluate/flags/{flag}"),
        Some(sdk_key),
        body,
    )
    .await
}

/// Single evaluation for a context given as JSON.
pub async fn evaluate_for(server: &Server, sdk_key: &str, flag: &str, context: Value) -> Raw {
    let body = json!({ "context": context }).to_string();
    evaluate(server, sdk_key, flag, Some(&body)).await
}

/// Bulk evaluation with a raw body and an optional `If-None-Match`.
pub async fn bulk(server: &Server, sdk_key: &str, body: &str, if_none_match: Option<&str>) -> Raw {
    let mut request = server
        .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(sdk_key))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(etag) = if_none_match {
        request = request.header("if-none-match", etag);
    }
    send(request).await
}

/// The entry for `key` in a `200` bulk answer.
pub fn bulk_entry(raw: &Raw, key: &str) -> Value {
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.text);
    raw.json()["flags"]
        .as_array()
        .expect("a flags list")
        .iter()
        .find(|entry| entry["key"] == key)
        .unwrap_or_else(|| panic!("{key} is not in the bulk answer {}", raw.text))
        .clone()
}

/// Checks one successful evaluation object and returns it.
pub fn assert_evaluation<'a>(evaluation: &'a Value, key: &str) -> &'a Value {
    for field in ["key", "value", "variant", "reason", "metadata"] {
        assert!(
            evaluation.get(field).is_some(),
            "success without `{field}`: {evaluation}"
        );
    }
    assert_eq!(evaluation["key"], key, "{evaluation}");
    assert!(evaluation["variant"].is_string(), "{evaluation}");
    assert!(evaluation["metadata"].is_object(), "{evaluation}");
    let reason = evaluation["reason"].as_str().unwrap_or_default();
    assert!(REASONS.contains(&reason), "unknown reason in {evaluation}");
    assert!(evaluation.get("errorCode").is_none(), "{evaluation}");
    evaluation
}

/// Checks a `200` single evaluation (status, content type, every field) and returns
/// its body.
pub fn assert_served(raw: &Raw, key: &str) -> Value {
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.text);
    raw.assert_json_content_type();
    let body = raw.json();
    assert_evaluation(&body, key);
    body
}

/// Checks an error object: `errorCode` is `code` and `errorDetails` is a non-empty text.
pub fn assert_error_body(body: &Value, code: &str) {
    assert_eq!(body["errorCode"], code, "{body}");
    let details = body["errorDetails"].as_str().unwrap_or_default();
    assert!(!details.is_empty(), "no errorDetails in {body}");
    assert!(
        body.get("value").is_none(),
        "an error carries no value: {body}"
    );
}

/// Checks an OFREP error answer and returns its body.
pub fn assert_failure(raw: &Raw, status: StatusCode, code: &str) -> Value {
    assert_eq!(raw.status, status, "{}", raw.text);
    raw.assert_json_content_type();
    let body = raw.json();
    assert_error_body(&body, code);
    body
}

/// Creates a flag through the admin API.
pub async fn put_flag(server: &Server, flag: &Value) {
    let key = flag["key"].as_str().expect("flag key");
    let reply = server
        .admin(
            Method::PUT,
            &format!("/api/v1/flags/{key}"),
            Some(flag.clone()),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "PUT {key}: {:?}",
        reply.body
    );
}

/// Replaces a flag through the admin API (reading its version first) and returns the
/// new version.
pub async fn replace_flag(server: &Server, flag: &Value) -> u64 {
    let key = flag["key"].as_str().expect("flag key");
    let path = format!("/api/v1/flags/{key}");
    let current = server.admin(Method::GET, &path, None).await;
    assert_eq!(current.status, StatusCode::OK, "{:?}", current.body);
    let version = current.body["version"].as_u64().expect("version");
    let request = server
        .request(Method::PUT, &path, Some(crate::ADMIN_TOKEN))
        .header("if-match", format!("\"{version}\""))
        .json(flag);
    let reply = server.call(request).await;
    assert_eq!(reply.status, StatusCode::OK, "PUT {key}: {:?}", reply.body);
    reply.body["version"].as_u64().expect("new version")
}

/// A boolean flag served in `production` by `config` (`enabled` and `off_variant: "off"`
/// are filled in when missing).
pub fn bool_flag(key: &str, mut config: Value) -> Value {
    let object = config.as_object_mut().expect("config object");
    object.entry("enabled").or_insert(json!(true));
    object.entry("off_variant").or_insert(json!("off"));
    json!({
        "key": key,
        "description": format!("e2e flag {key}"),
        "variants": { "on": true, "off": false },
        "environments": { "production": config }
    })
}

/// The flags most OFREP tests evaluate in `production`: one per reason, typed values,
/// and a development-only flag.
pub fn fixture_flags() -> Vec<Value> {
    vec![
        // STATIC: no rules, one variant.
        bool_flag("static-on", json!({ "default": { "variant": "on" } })),
        // TARGETING_MATCH / DEFAULT: a rule on `country`.
        json!({
            "key": "checkout-theme",
            "variants": { "classic": "classic", "ocean": "ocean" },
            "environments": { "production": {
                "enabled": true, "off_variant": "classic",
                "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE"] } ],
                             "serve": { "variant": "ocean" } } ],
                "default": { "variant": "classic" } } }
        }),
        // SPLIT: a 25 % rollout in the default serve.
        bool_flag(
            "new-checkout",
            json!({ "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } }),
        ),
        // SPLIT through a rule; DEFAULT for the others.
        bool_flag(
            "beta-split",
            json!({
                "rules": [ { "segment": "beta", "serve": { "rollout": [ { "variant": "on", "weight": 5000 }, { "variant": "off", "weight": 5000 } ] } } ],
                "default": { "variant": "off" } }),
        ),
        // DISABLED.
        bool_flag(
            "maintenance-mode",
            json!({ "enabled": false, "default": { "variant": "on" } }),
        ),
        // Typed values.
        json!({
            "key": "discount-rate",
            "variants": { "ten": 10.0, "half": 0.5 },
            "environments": { "production": { "enabled": true, "off_variant": "half", "default": { "variant": "ten" } } }
        }),
        json!({
            "key": "big-number",
            "variants": { "big": 9_007_199_254_740_993_u64, "small": 1 },
            "environments": { "production": { "enabled": true, "off_variant": "small", "default": { "variant": "big" } } }
        }),
        json!({
            "key": "banner",
            "variants": { "plain": { "title": "Welcome", "sizes": [1, 2.5] } },
            "environments": { "production": { "enabled": true, "off_variant": "plain", "default": { "variant": "plain" } } }
        }),
        // Only in development.
        json!({
            "key": "dev-tools",
            "variants": { "on": true, "off": false },
            "environments": { "development": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } } }
        }),
    ]
}

/// Seeds [`fixture_flags`] and returns an SDK key for `production`.
pub async fn seed_fixture(server: &Server) -> String {
    for flag in fixture_flags() {
        put_flag(server, &flag).await;
    }
    server.sdk_key("production").await
}
