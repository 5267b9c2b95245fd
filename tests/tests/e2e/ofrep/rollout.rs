//! Rollouts seen through OFREP: 20 000 random users against a 25 % rollout land within
//! ±1 percentage point and each one in the bucket docs/product.md §3 puts it in; and a
//! change made through the admin API is in the very next OFREP answer.

use std::sync::Arc;

use rollgate_core::bucket::bucket;
use rollgate_e2e::Server;
use rollgate_e2e::ofrep::{
    assert_served, bool_flag, bulk, bulk_entry, evaluate_for, put_flag, replace_flag,
};
use serde_json::json;

const USERS: usize = 20_000;
const CLIENTS: usize = 8;

/// Random-looking user ids, the same on every run (a fixed-seed xorshift), so the test
/// never flakes on an unlucky draw.
fn users() -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..USERS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("user-{state:016x}")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_users_land_within_one_point_of_a_25_percent_rollout() {
    let server = Arc::new(Server::start().await);
    put_flag(
        &server,
        &bool_flag(
            "new-checkout",
            json!({ "salt": "checkout-2026", "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } }),
        ),
    )
    .await;
    let sdk: Arc<str> = server.sdk_key("production").await.into();
    let users = Arc::new(users());
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (server, sdk, users) = (Arc::clone(&server), Arc::clone(&sdk), Arc::clone(&users));
        clients.spawn(async move {
            let mut on = 0usize;
            for user in users.iter().skip(client).step_by(CLIENTS) {
                let raw = evaluate_for(
                    &server,
                    &sdk,
                    "new-checkout",
                    json!({ "targetingKey": user }),
                )
                .await;
                let body = assert_served(&raw, "new-checkout");
                assert_eq!(body["reason"], "SPLIT");
                let expected = bucket("checkout-2026", user) < 2500;
                assert_eq!(
                    body["value"], expected,
                    "{user} is not in the bucket docs/product.md §3 gives"
                );
                on += usize::from(expected);
            }
            on
        });
    }
    let mut on = 0;
    while let Some(count) = clients.join_next().await {
        on += count.unwrap();
    }
    let share = on as f64 / USERS as f64 * 100.0;
    assert!(
        (24.0..=26.0).contains(&share),
        "{share:.2} % got the 25 % rollout ({on} of {USERS})"
    );
}

#[tokio::test]
async fn a_change_through_the_admin_api_is_in_the_very_next_ofrep_answer() {
    let server = Server::start().await;
    let flag = |variant: &str| {
        bool_flag(
            "kill-switch",
            json!({ "rules": [ { "segment": "alpha", "serve": { "variant": "on" } } ],
                    "default": { "variant": variant } }),
        )
    };
    put_flag(&server, &flag("on")).await;
    let sdk = server.sdk_key("production").await;
    let user = json!({ "targetingKey": "user-1" });
    let body = |user: &serde_json::Value| json!({ "context": user }).to_string();
    let mut etag = None::<String>;
    for round in 0..20 {
        let serve_on = round % 2 == 1;
        let variant = if serve_on { "on" } else { "off" };
        replace_flag(&server, &flag(variant)).await;
        let single = assert_served(
            &evaluate_for(&server, &sdk, "kill-switch", user.clone()).await,
            "kill-switch",
        );
        assert_eq!(single["value"], serve_on, "round {round}: {single}");
        // The bulk answer too, even to a client holding the previous ETag.
        let raw = bulk(&server, &sdk, &body(&user), etag.as_deref()).await;
        let entry = bulk_entry(&raw, "kill-switch");
        assert_eq!(entry["value"], serve_on, "round {round}: {entry}");
        etag = raw.header("etag").map(str::to_owned);
    }
    // Disabling is immediate as well.
    let mut disabled = flag("on");
    disabled["environments"]["production"]["enabled"] = json!(false);
    replace_flag(&server, &disabled).await;
    let answer = assert_served(
        &evaluate_for(&server, &sdk, "kill-switch", user).await,
        "kill-switch",
    );
    assert_eq!(
        (answer["reason"].as_str(), answer["value"].as_bool()),
        (Some("DISABLED"), Some(false))
    );
}
