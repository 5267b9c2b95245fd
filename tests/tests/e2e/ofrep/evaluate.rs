//! OFREP single-flag evaluation against the real binary: every reason of docs/product.md §2,
//! the fields strict clients need, typed values byte for byte, the percent-decoded key,
//! and requests without a targeting key or without a body.

use rollgate_e2e::Server;
use rollgate_e2e::ofrep::{assert_failure, assert_served, evaluate, evaluate_for, seed_fixture};
use serde_json::json;

#[tokio::test]
async fn every_reason_is_served_with_key_value_variant_reason_and_metadata() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let user = |extra: serde_json::Value| {
        let mut context = json!({ "targetingKey": "user-42" });
        context
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        context
    };
    let cases = [
        ("static-on", user(json!({})), "STATIC", "on", json!(true)),
        (
            "checkout-theme",
            user(json!({ "country": "NL" })),
            "TARGETING_MATCH",
            "ocean",
            json!("ocean"),
        ),
        (
            "checkout-theme",
            user(json!({ "country": "US" })),
            "DEFAULT",
            "classic",
            json!("classic"),
        ),
        (
            "maintenance-mode",
            user(json!({})),
            "DISABLED",
            "off",
            json!(false),
        ),
    ];
    for (flag, context, reason, variant, value) in cases {
        let raw = evaluate_for(&server, &sdk, flag, context.clone()).await;
        let body = assert_served(&raw, flag);
        assert_eq!(body["reason"], reason, "{flag} for {context}: {body}");
        assert_eq!(body["variant"], variant, "{flag} for {context}: {body}");
        assert_eq!(body["value"], value, "{flag} for {context}: {body}");
    }

    // SPLIT, from the default serve and from a rule: the variant follows the value.
    for (flag, context) in [
        ("new-checkout", user(json!({}))),
        ("beta-split", user(json!({ "ring": "beta" }))),
    ] {
        let body = assert_served(&evaluate_for(&server, &sdk, flag, context).await, flag);
        assert_eq!(body["reason"], "SPLIT", "{body}");
        let expected = body["variant"] == "on";
        assert_eq!(body["value"], json!(expected), "{body}");
    }
    // Outside the rule's segment, the rule-based split falls back to the default.
    let body = assert_served(
        &evaluate_for(
            &server,
            &sdk,
            "beta-split",
            user(json!({ "ring": "general" })),
        )
        .await,
        "beta-split",
    );
    assert_eq!(
        (body["reason"].as_str(), body["variant"].as_str()),
        (Some("DEFAULT"), Some("off"))
    );
}

#[tokio::test]
async fn a_float_stays_a_float_and_a_big_integer_keeps_every_digit() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let raw = evaluate_for(
        &server,
        &sdk,
        "discount-rate",
        json!({ "targetingKey": "u" }),
    )
    .await;
    assert_served(&raw, "discount-rate");
    assert!(
        raw.text.contains(r#""value":10.0"#),
        "10.0 must stay a float on the wire: {}",
        raw.text
    );

    let raw = evaluate_for(&server, &sdk, "big-number", json!({ "targetingKey": "u" })).await;
    assert_served(&raw, "big-number");
    assert!(
        raw.text.contains(r#""value":9007199254740993"#),
        "2^53 + 1 must keep every digit: {}",
        raw.text
    );
    assert!(!raw.text.contains("9007199254740993.0"), "{}", raw.text);

    let raw = evaluate_for(&server, &sdk, "banner", json!({})).await;
    let body = assert_served(&raw, "banner");
    assert_eq!(
        body["value"],
        json!({ "title": "Welcome", "sizes": [1, 2.5] })
    );
    assert!(raw.text.contains("[1,2.5]"), "{}", raw.text);
}

#[tokio::test]
async fn the_key_path_segment_is_percent_decoded() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for segment in ["new%2Dcheckout", "new%2dcheckout", "%6Eew-checkout"] {
        let raw = evaluate_for(&server, &sdk, segment, json!({ "targetingKey": "u-1" })).await;
        let body = assert_served(&raw, "new-checkout");
        assert_eq!(body["reason"], "SPLIT", "{segment}: {body}");
    }
    let raw = evaluate_for(&server, &sdk, "static%2Don", json!({})).await;
    assert_eq!(assert_served(&raw, "static-on")["reason"], "STATIC");
}

#[tokio::test]
async fn a_context_without_targeting_key_is_accepted_unless_a_rollout_needs_one() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    let anonymous = json!({ "country": "BE", "plan": "pro" });
    for (flag, reason) in [
        ("static-on", "STATIC"),
        ("checkout-theme", "TARGETING_MATCH"),
        ("maintenance-mode", "DISABLED"),
        ("discount-rate", "STATIC"),
    ] {
        let raw = evaluate_for(&server, &sdk, flag, anonymous.clone()).await;
        assert_eq!(assert_served(&raw, flag)["reason"], reason, "{flag}");
    }
    // A rule that does not match leaves the rollout out of it too.
    let raw = evaluate_for(&server, &sdk, "beta-split", anonymous.clone()).await;
    assert_eq!(assert_served(&raw, "beta-split")["reason"], "DEFAULT");
    // Only the rollout needs a unit.
    let raw = evaluate_for(&server, &sdk, "new-checkout", anonymous).await;
    let body = assert_failure(
        &raw,
        reqwest::StatusCode::BAD_REQUEST,
        "TARGETING_KEY_MISSING",
    );
    assert_eq!(body["key"], "new-checkout");
    // A null targeting key counts as none.
    let raw = evaluate_for(&server, &sdk, "static-on", json!({ "targetingKey": null })).await;
    assert_served(&raw, "static-on");
}

#[tokio::test]
async fn an_empty_body_or_an_empty_request_is_an_empty_context() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for body in [
        None,
        Some(""),
        Some("  \n"),
        Some("{}"),
        Some(r#"{"context":{}}"#),
    ] {
        let raw = evaluate(&server, &sdk, "static-on", body).await;
        let served = assert_served(&raw, "static-on");
        assert_eq!(served["value"], true, "body {body:?}");
        let raw = evaluate(&server, &sdk, "new-checkout", body).await;
        assert_failure(
            &raw,
            reqwest::StatusCode::BAD_REQUEST,
            "TARGETING_KEY_MISSING",
        );
    }
}

#[tokio::test]
async fn the_same_user_always_gets_the_same_variant() {
    let server = Server::start().await;
    let sdk = seed_fixture(&server).await;
    for user in ["alice", "bob", "carol", "dave", "erin"] {
        let context = json!({ "targetingKey": user });
        let first = assert_served(
            &evaluate_for(&server, &sdk, "new-checkout", context.clone()).await,
            "new-checkout",
        );
        for _ in 0..5 {
            let again = assert_served(
                &evaluate_for(&server, &sdk, "new-checkout", context.clone()).await,
                "new-checkout",
            );
            assert_eq!(again["variant"], first["variant"], "{user}");
        }
    }
}
