//! The real OpenFeature Python SDK with its OFREP provider (`openfeature-sdk`,
//! `openfeature-provider-ofrep` from PyPI, in the venv `scripts/test` builds) evaluates
//! boolean, string, integer, float and object flags against the running binary and gets
//! the values, variants, reasons and errors docs/product.md §2 promises.

use std::time::Duration;

use rollgate_core::bucket::bucket;
use rollgate_e2e::ofrep::{bool_flag, put_flag};
use rollgate_e2e::{Server, tools, workspace};
use serde_json::{Value, json};

fn flags() -> Vec<Value> {
    vec![
        bool_flag(
            "py-bool",
            json!({ "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE"] } ],
                                 "serve": { "variant": "on" } } ],
                    "default": { "variant": "off" } }),
        ),
        json!({ "key": "py-string", "variants": { "red": "red", "green": "green", "blue": "blue" },
                "environments": { "production": { "enabled": true, "off_variant": "red",
                    "default": { "rollout": [ { "variant": "red", "weight": 3400 }, { "variant": "green", "weight": 3300 },
                                              { "variant": "blue", "weight": 3300 } ] } } } }),
        json!({ "key": "py-int", "variants": { "standard": 20, "extended": 50 },
                "environments": { "production": { "enabled": true, "off_variant": "standard", "default": { "variant": "standard" } } } }),
        json!({ "key": "py-big-int", "variants": { "big": 9_007_199_254_740_993_u64, "small": 1 },
                "environments": { "production": { "enabled": true, "off_variant": "small", "default": { "variant": "big" } } } }),
        json!({ "key": "py-float", "variants": { "ten": 10.0, "half": 0.5 },
                "environments": { "production": { "enabled": true, "off_variant": "half", "default": { "variant": "ten" } } } }),
        json!({ "key": "py-object",
                "variants": { "plain": { "title": "Welcome", "color": "#333333" },
                              "holiday": { "title": "Happy holidays", "color": "#c0392b", "sizes": [1, 2.5] } },
                "environments": { "production": { "enabled": true, "off_variant": "plain",
                    "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ],
                                 "serve": { "variant": "holiday" } } ],
                    "default": { "variant": "plain" } } } }),
        bool_flag(
            "py-disabled",
            json!({ "enabled": false, "default": { "variant": "on" } }),
        ),
    ]
}

/// Runs `check_ofrep.py` against the server and returns its JSON report.
async fn run_sdk(server: &Server, sdk_key: &str) -> Value {
    let script = workspace().join("tests/openfeature/python/check_ofrep.py");
    let mut command = tokio::process::Command::new(tools::python());
    command.arg(&script).arg(&server.url).arg(sdk_key);
    let tools::Run {
        status,
        stdout,
        stderr,
    } = tools::run(&mut command, Duration::from_secs(120)).await;
    assert!(
        status.success(),
        "check_ofrep.py failed ({status}):\n{stdout}\n{stderr}"
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("check_ofrep.py printed no JSON ({e}):\n{stdout}\n{stderr}"))
}

/// Asserts a served case: value, Python type, variant and reason, no error.
fn served(report: &Value, case: &str, value: Value, kind: &str, variant: &str, reason: &str) {
    let got = &report[case];
    assert_eq!(got["error_code"], Value::Null, "{case}: {got}");
    assert_eq!(got["value"], value, "{case}: {got}");
    assert_eq!(got["type"], kind, "{case}: {got}");
    assert_eq!(got["variant"], variant, "{case}: {got}");
    assert_eq!(got["reason"], reason, "{case}: {got}");
    assert!(got["metadata"].is_object(), "{case}: {got}");
}

/// Asserts a failed case: the error code and the caller's default value.
fn failed(report: &Value, case: &str, code: &str, default: Value) {
    let got = &report[case];
    assert_eq!(got["error_code"], code, "{case}: {got}");
    assert_eq!(got["value"], default, "{case}: {got}");
    assert_eq!(got["reason"], "ERROR", "{case}: {got}");
    assert!(
        got["error_message"].as_str().is_some_and(|m| !m.is_empty()),
        "{case} has no error message: {got}"
    );
}

#[tokio::test]
async fn the_python_openfeature_sdk_gets_values_variants_reasons_and_errors() {
    let server = Server::start().await;
    for flag in flags() {
        put_flag(&server, &flag).await;
    }
    let sdk_key = server.sdk_key("production").await;
    let report = run_sdk(&server, &sdk_key).await;

    let color = match bucket("py-string", "user-42") {
        0..3400 => "red",
        3400..6700 => "green",
        _ => "blue",
    };
    let holiday = json!({ "title": "Happy holidays", "color": "#c0392b", "sizes": [1, 2.5] });
    let plain = json!({ "title": "Welcome", "color": "#333333" });
    for (case, value, kind, variant, reason) in [
        ("boolean_rule", json!(true), "bool", "on", "TARGETING_MATCH"),
        ("boolean_default", json!(false), "bool", "off", "DEFAULT"),
        ("string_split", json!(color), "str", color, "SPLIT"),
        ("integer_static", json!(20), "int", "standard", "STATIC"),
        ("no_context_static", json!(20), "int", "standard", "STATIC"),
        (
            "big_integer",
            json!(9_007_199_254_740_993_u64),
            "int",
            "big",
            "STATIC",
        ),
        ("float_static", json!(10.0), "float", "ten", "STATIC"),
        ("object_rule", holiday, "dict", "holiday", "TARGETING_MATCH"),
        ("object_default", plain, "dict", "plain", "DEFAULT"),
        ("disabled", json!(false), "bool", "off", "DISABLED"),
    ] {
        served(&report, case, value, kind, variant, reason);
    }

    failed(&report, "flag_not_found", "FLAG_NOT_FOUND", json!(true));
    failed(
        &report,
        "targeting_key_missing",
        "TARGETING_KEY_MISSING",
        json!("fallback"),
    );
    failed(&report, "invalid_context", "INVALID_CONTEXT", json!(true));
    failed(&report, "unauthorized", "GENERAL", json!(true));
}
