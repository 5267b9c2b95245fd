//! Parity: for thousands of random contexts and every demo flag, the SDK's local result
//! equals the server's OFREP result — value, variant and reason, or the error code.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server};
use rollgate_sdk::{Context, Reason};
use serde_json::{Value, json};

use super::support::*;

const CONTEXTS: usize = 2000;

fn random_context(rng: &mut fastrand::Rng) -> Value {
    let mut context = serde_json::Map::new();
    match rng.u8(0..100) {
        0..=4 => {}
        5..=6 => {
            context.insert("targetingKey".into(), json!(rng.u32(..)));
        }
        _ => {
            context.insert(
                "targetingKey".into(),
                json!(format!("user-{}", rng.u64(..))),
            );
        }
    }
    let pick =
        |rng: &mut fastrand::Rng, options: &[&str]| json!(options[rng.usize(..options.len())]);
    if rng.bool() {
        context.insert("country".into(), pick(rng, &["NL", "BE", "DE", "US", "nl"]));
    }
    if rng.bool() {
        context.insert("plan".into(), pick(rng, &["free", "pro", "enterprise"]));
    }
    if rng.bool() {
        context.insert("orders".into(), json!(rng.i64(-2..25)));
    }
    if rng.bool() {
        let version = format!("{}.{}.{}", rng.u8(0..4), rng.u8(0..100), rng.u8(0..100));
        context.insert("app_version".into(), json!(version));
    }
    if rng.bool() {
        context.insert("ring".into(), pick(rng, &["alpha", "beta", "general"]));
    }
    Value::Object(context)
}

#[tokio::test]
async fn the_sdk_evaluates_every_demo_flag_exactly_as_ofrep_does() {
    let server = Server::start_with(Options {
        args: vec!["--demo".into()],
        ..fast_options(&[])
    })
    .await;
    let key = server.sdk_key("production").await;
    let client = sdk(&server.url, &key)
        .exposure_interval(None)
        .build()
        .await
        .unwrap();
    let flags = client.flag_keys();
    assert_eq!(flags.len(), 7, "{flags:?}");
    let mut rng = fastrand::Rng::with_seed(20261122);
    let mut compared = 0;
    for _ in 0..CONTEXTS {
        let json_context = random_context(&mut rng);
        let context: Context = serde_json::from_value(json_context.clone()).unwrap();
        let bulk = server
            .call(
                server
                    .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(&key))
                    .json(&json!({ "context": json_context })),
            )
            .await;
        if bulk.status == StatusCode::BAD_REQUEST {
            assert_eq!(bulk.body["errorCode"], "INVALID_CONTEXT");
            for flag in &flags {
                let local = client.json_details(flag, &context, Value::Null);
                assert_eq!(
                    local.error.map(|e| e.as_str()),
                    Some("INVALID_CONTEXT"),
                    "{flag} {json_context}"
                );
                compared += 1;
            }
            continue;
        }
        assert_eq!(bulk.status, StatusCode::OK);
        let remote = bulk.body["flags"].as_array().unwrap();
        assert_eq!(remote.len(), flags.len());
        for result in remote {
            let flag = result["key"].as_str().unwrap();
            let local = client.json_details(flag, &context, Value::Null);
            match result.get("errorCode") {
                Some(code) => {
                    assert_eq!(
                        local.error.map(|e| e.as_str()),
                        code.as_str(),
                        "{flag} {json_context}"
                    );
                    assert_eq!(local.reason, Reason::Error);
                }
                None => {
                    assert_eq!(local.error, None, "{flag} {json_context}");
                    assert_eq!(local.value, result["value"], "{flag} {json_context}");
                    assert_eq!(
                        local.variant.as_deref(),
                        result["variant"].as_str(),
                        "{flag} {json_context}"
                    );
                    assert_eq!(
                        local.reason.as_str(),
                        result["reason"].as_str().unwrap(),
                        "{flag} {json_context}"
                    );
                }
            }
            compared += 1;
        }
    }
    assert_eq!(compared, CONTEXTS * flags.len());
    client.close().await.unwrap();
}
