//! OFREP bulk evaluation against the real binary: every flag of the SDK key's
//! environment, `ETag` / `If-None-Match` → `304`, what changes the ETag, environment
//! isolation, and errors for the whole request versus errors for one flag.

use reqwest::StatusCode;
use rollgate_e2e::Server;
use rollgate_e2e::ofrep::{
    Raw, assert_error_body, assert_evaluation, assert_failure, assert_served, bulk, evaluate_for,
    fixture_flags, put_flag, replace_flag, seed_fixture,
};
use serde_json::{Value, json};

/// Checks a `200` bulk answer and returns its flags by key.
fn flags(raw: &Raw) -> serde_json::Map<String, Value> {
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.text);
    raw.assert_json_content_type();
    assert!(raw.header("etag").is_some(), "a bulk answer has an ETag");
    let body = raw.json();
    let list = body["flags"].as_array().expect("flags list");
    let mut by_key = serde_json::Map::new();
    for entry in list {
        let key = entry["key"]
            .as_str()
            .expect("every entry has a key")
            .to_owned();
        if entry.get("errorCode").is_some() {
            assert_error_body(entry, entry["errorCode"].as_str().unwrap());
        } else {
            assert_evaluation(entry, &key);
        }
        assert!(
            by_key.insert(key.clone(), entry.clone()).is_none(),
            "{key} listed twice"
        );
    }
    by_key
}

fn context(value: Value) -> String {
    json!({ "context": value }).to_string()
}

#[tokio::test]
async fn bulk_evaluates_every_flag_of_the_environment_like_single_evaluation() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let user = json!({ "targetingKey": "user-7", "country": "NL", "ring": "beta" });
    let raw = bulk(&server, &sdk, &context(user.clone()), None).await;
    let listed = flags(&raw);
    let production: Vec<String> = fixture_flags()
        .iter()
        .filter(|f| f["environments"].get("production").is_some())
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect();
    for key in &production {
        let entry = listed
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing from {listed:?}"));
        let single = assert_served(&evaluate_for(&server, &sdk, key, user.clone()).await, key);
        assert_eq!(entry, &single, "bulk and single agree on {key}");
    }
    assert_eq!(listed["checkout-theme"]["reason"], "TARGETING_MATCH");
    assert_eq!(listed["maintenance-mode"]["reason"], "DISABLED");
    assert_eq!(listed["static-on"]["reason"], "STATIC");
    assert_eq!(listed["new-checkout"]["reason"], "SPLIT");
    assert!(raw.text.contains(r#""value":10.0"#), "{}", raw.text);
    assert!(
        raw.text.contains(r#""value":9007199254740993"#),
        "{}",
        raw.text
    );
}

#[tokio::test]
async fn without_a_targeting_key_only_the_rollouts_fail_and_the_rest_is_served() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for body in ["", "{}", r#"{"context":{"country":"US"}}"#] {
        let listed = flags(&bulk(&server, &sdk, body, None).await);
        let error = &listed["new-checkout"];
        assert_error_body(error, "TARGETING_KEY_MISSING");
        assert_eq!(listed["static-on"]["value"], true, "body {body:?}");
        assert_eq!(
            listed["checkout-theme"]["reason"], "DEFAULT",
            "body {body:?}"
        );
    }
}

#[tokio::test]
async fn a_matching_if_none_match_is_304_without_a_body() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let alice = context(json!({ "targetingKey": "alice" }));
    let first = bulk(&server, &sdk, &alice, None).await;
    flags(&first);
    let etag = first.header("etag").unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a quoted ETag: {etag}"
    );

    let again = bulk(&server, &sdk, &alice, None).await;
    assert_eq!(again.header("etag"), Some(etag.as_str()), "stable ETag");

    for candidate in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
    ] {
        let cached = bulk(&server, &sdk, &alice, Some(&candidate)).await;
        assert_eq!(cached.status, StatusCode::NOT_MODIFIED, "{candidate}");
        assert_eq!(cached.text, "", "a 304 has no body");
        assert_eq!(cached.header("etag"), Some(etag.as_str()));
    }
    let stale = bulk(&server, &sdk, &alice, Some("\"0-0000000000000000\"")).await;
    assert_eq!(flags(&stale).len(), flags(&first).len());
}

#[tokio::test]
async fn a_changed_context_or_a_changed_flag_changes_the_etag() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let alice = context(json!({ "targetingKey": "alice" }));
    let bob = context(json!({ "targetingKey": "bob" }));
    let etag_alice = bulk(&server, &sdk, &alice, None)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let for_bob = bulk(&server, &sdk, &bob, Some(&etag_alice)).await;
    flags(&for_bob);
    assert_ne!(for_bob.header("etag"), Some(etag_alice.as_str()));

    let mut flag = fixture_flags()
        .into_iter()
        .find(|f| f["key"] == "static-on")
        .unwrap();
    flag["environments"]["production"]["default"] = json!({ "variant": "off" });
    replace_flag(&server, &flag).await;
    let after = bulk(&server, &sdk, &alice, Some(&etag_alice)).await;
    let listed = flags(&after);
    assert_ne!(after.header("etag"), Some(etag_alice.as_str()));
    assert_eq!(
        listed["static-on"]["value"], false,
        "the change is in the answer"
    );

    // A new flag changes it too.
    let etag_before = after.header("etag").unwrap().to_owned();
    put_flag(
        &server,
        &json!({ "key": "late-flag", "variants": { "a": "a" },
                 "environments": { "production": { "enabled": true, "off_variant": "a", "default": { "variant": "a" } } } }),
    )
    .await;
    let newest = bulk(&server, &sdk, &alice, Some(&etag_before)).await;
    assert_eq!(flags(&newest)["late-flag"]["value"], "a");
}

#[tokio::test]
async fn an_sdk_key_only_sees_its_own_environment() {
    let server = Server::start().await;
    let production = seed_fixture(&server).await;
    let development = server.sdk_key("development").await;
    put_flag(
        &server,
        &json!({ "key": "api-endpoint",
                 "variants": { "prod": "https://api.example.com", "dev": "http://localhost:3000" },
                 "environments": {
                     "production": { "enabled": true, "off_variant": "prod", "default": { "variant": "prod" } },
                     "development": { "enabled": true, "off_variant": "dev", "default": { "variant": "dev" } } } }),
    )
    .await;
    let user = json!({ "targetingKey": "u" });
    let prod = assert_served(
        &evaluate_for(&server, &production, "api-endpoint", user.clone()).await,
        "api-endpoint",
    );
    let dev = assert_served(
        &evaluate_for(&server, &development, "api-endpoint", user.clone()).await,
        "api-endpoint",
    );
    assert_eq!(
        (prod["variant"].as_str(), dev["variant"].as_str()),
        (Some("prod"), Some("dev"))
    );

    let dev_listed = flags(&bulk(&server, &development, &context(user.clone()), None).await);
    assert_eq!(dev_listed["api-endpoint"]["variant"], "dev");
    assert_eq!(dev_listed["dev-tools"]["value"], true);
    let prod_listed = flags(&bulk(&server, &production, &context(user.clone()), None).await);
    assert_eq!(prod_listed["api-endpoint"]["variant"], "prod");
    // Flags configured only in production are never served with their production values
    // to a development key (and the other way round).
    for (listed, key) in [(&dev_listed, "static-on"), (&prod_listed, "dev-tools")] {
        if let Some(entry) = listed.get(key) {
            assert!(
                entry["reason"] == "DISABLED" || entry["errorCode"] == "FLAG_NOT_FOUND",
                "{key}: {entry}"
            );
        }
    }
    let raw = evaluate_for(&server, &production, "dev-tools", user).await;
    if raw.status == StatusCode::NOT_FOUND {
        assert_failure(&raw, StatusCode::NOT_FOUND, "FLAG_NOT_FOUND");
    } else {
        assert_eq!(assert_served(&raw, "dev-tools")["reason"], "DISABLED");
    }
}

#[tokio::test]
async fn an_invalid_context_fails_the_whole_bulk_request_with_400() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for body in [
        context(json!({ "targetingKey": 7 })),
        context(json!("alice")),
        context(json!([1])),
    ] {
        let raw = bulk(&server, &sdk, &body, None).await;
        assert_failure(&raw, StatusCode::BAD_REQUEST, "INVALID_CONTEXT");
        assert!(raw.header("etag").is_none(), "{body}");
    }
    let raw = bulk(&server, &sdk, "{\"context\":", None).await;
    assert_failure(&raw, StatusCode::BAD_REQUEST, "PARSE_ERROR");
}
