//! The real OpenFeature server SDK for JavaScript (`@openfeature/server-sdk` with
//! `@openfeature/ofrep-provider`, pinned in tests/openfeature/js, run by Node) agrees
//! with Rollgate's own OFREP answers — value, variant, reason — for every demo flag and
//! hundreds of contexts, and hands the application OpenFeature's error codes when it
//! should: `FLAG_NOT_FOUND`, `TYPE_MISMATCH`, `TARGETING_KEY_MISSING`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, tools};
use serde_json::{Value, json};

/// The OpenFeature type of a flag, from its variants' values.
fn flag_type(variants: &Value) -> &'static str {
    match variants.as_object().and_then(|v| v.values().next()) {
        Some(Value::Bool(_)) => "boolean",
        Some(Value::String(_)) => "string",
        Some(Value::Number(_)) => "number",
        _ => "object",
    }
}

fn default_of(kind: &str) -> Value {
    match kind {
        "boolean" => json!(false),
        "string" => json!(""),
        "number" => json!(0),
        _ => json!({}),
    }
}

/// Contexts that reach every rule of the demo flags: countries, plans, order counts,
/// app versions, and users in and out of the rings.
fn contexts(count: usize) -> Vec<Value> {
    let countries = ["NL", "BE", "DE", "US", "FR"];
    let plans = ["free", "pro", "enterprise"];
    let versions = ["1.4.0", "1.99.99", "2.0.0", "2.10.3"];
    (0..count)
        .map(|i| {
            json!({
                "targetingKey": format!("user-{i}"),
                "country": countries[i % countries.len()],
                "plan": plans[i / 5 % plans.len()],
                "orders": i % 13,
                "app_version": versions[i / 3 % versions.len()],
            })
        })
        .collect()
}

/// A server with the demo's flags, and an SDK key of its production.
async fn demo() -> (Server, String) {
    let server = Server::start_with(Options {
        args: vec!["--demo".into()],
        ..Options::default()
    })
    .await;
    let key = server.sdk_key("production").await;
    (server, key)
}

/// Runs `check_server_sdk.mjs` on `cases` and returns what the SDK reported per case.
async fn run_sdk(server: &Server, key: &str, cases: &[Value]) -> Vec<Value> {
    let dir = tools::openfeature_js();
    let job = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(job.path(), serde_json::to_vec(cases).unwrap()).unwrap();
    let mut command = tokio::process::Command::new(tools::node());
    command
        .current_dir(&dir)
        .arg(dir.join("check_server_sdk.mjs"))
        .arg(&server.url)
        .arg(key)
        .arg(job.path());
    let run = tools::run(&mut command, Duration::from_secs(180)).await;
    assert!(
        run.status.success(),
        "check_server_sdk.mjs failed ({}):\n{}\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    let results: Vec<Value> = serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "no JSON from the SDK ({e}):\n{}\n{}",
            run.stdout, run.stderr
        )
    });
    assert_eq!(results.len(), cases.len());
    results
}

/// JSON values equal as OpenFeature sees them: JavaScript has one number type, so
/// `10.0` and `10` are the same value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

#[tokio::test]
async fn the_server_sdk_agrees_with_rollgate_on_every_demo_flag_for_hundreds_of_contexts() {
    let (server, key) = demo().await;
    let flags = server.admin(Method::GET, "/api/v1/flags", None).await;
    assert_eq!(flags.status, StatusCode::OK);
    let flags: Vec<(String, &'static str)> = flags
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|flag| flag["environments"].get("production").is_some())
        .map(|flag| {
            (
                flag["key"].as_str().unwrap().to_owned(),
                flag_type(&flag["variants"]),
            )
        })
        .collect();
    assert!(flags.len() >= 7, "the demo's flags: {flags:?}");

    let contexts = contexts(300);
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for context in &contexts {
        let bulk = server
            .call(
                server
                    .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(&key))
                    .json(&json!({ "context": context })),
            )
            .await;
        assert_eq!(bulk.status, StatusCode::OK, "{:?}", bulk.body);
        for (flag, kind) in &flags {
            let answer = bulk.body["flags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["key"] == flag.as_str())
                .unwrap_or_else(|| panic!("{flag} missing from {}", bulk.body))
                .clone();
            cases.push(json!({ "flag": flag, "type": kind, "default": default_of(kind), "context": context }));
            expected.push(answer);
        }
    }
    let results = run_sdk(&server, &key, &cases).await;
    let mut reasons = std::collections::BTreeSet::new();
    for ((case, want), got) in cases.iter().zip(&expected).zip(&results) {
        assert_eq!(got["errorCode"], Value::Null, "{case}: {got}");
        assert!(
            same(&got["value"], &want["value"]),
            "{case}: SDK {got}, Rollgate {want}"
        );
        assert_eq!(
            got["variant"], want["variant"],
            "{case}: SDK {got}, Rollgate {want}"
        );
        assert_eq!(
            got["reason"], want["reason"],
            "{case}: SDK {got}, Rollgate {want}"
        );
        reasons.insert(want["reason"].as_str().unwrap().to_owned());
    }
    for reason in ["TARGETING_MATCH", "SPLIT", "DEFAULT", "DISABLED"] {
        assert!(
            reasons.contains(reason),
            "the contexts reach {reason}: {reasons:?}"
        );
    }
    println!("{} evaluations agreed", cases.len());
}

#[tokio::test]
async fn the_server_sdk_maps_errors_as_openfeature_says() {
    let (server, key) = demo().await;
    let user = json!({ "targetingKey": "user-1" });
    let cases = [
        json!({ "flag": "no-such-flag", "type": "boolean", "default": true, "context": user }),
        json!({ "flag": "checkout-theme", "type": "boolean", "default": true, "context": user }),
        json!({ "flag": "cart-limit", "type": "string", "default": "fallback", "context": user }),
        json!({ "flag": "new-checkout", "type": "boolean", "default": true, "context": { "country": "NL" } }),
    ];
    let results = run_sdk(&server, &key, &cases).await;
    let expected = [
        ("FLAG_NOT_FOUND", json!(true)),
        ("TYPE_MISMATCH", json!(true)),
        ("TYPE_MISMATCH", json!("fallback")),
        ("TARGETING_KEY_MISSING", json!(true)),
    ];
    for ((case, got), (code, default)) in cases.iter().zip(&results).zip(expected) {
        assert_eq!(got["errorCode"], code, "{case}: {got}");
        assert_eq!(got["value"], default, "the caller's default: {case}: {got}");
        assert_eq!(got["reason"], "ERROR", "{case}: {got}");
    }
}
