//! Whole releases through the real binary, with the exposure each stage promises
//! measured over OFREP: a canary from approval to completion through alpha, beta and
//! general 1 → 10 → 50 → 100 %; another paused, resumed and rolled back; a dark launch.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{Desk, Seen, User, canary, observe, population, share, stratified};

const FLAGS: [&str; 2] = ["new-checkout", "one-click-pay"];

/// What is known of each user's exposure so far (users are only observed in part at
/// some stages, to keep the test quick).
struct Exposure {
    last: Vec<Option<bool>>,
}

impl Exposure {
    fn new(users: &[User]) -> Exposure {
        Exposure {
            last: vec![None; users.len()],
        }
    }

    /// Asserts the rings' exposure over the observed prefix of `users` — the general
    /// share within ±0.5 pp of `general` % and, user by user, exposure exactly when the
    /// user's bucket is below the promised weight — and that nobody exposed before
    /// lost the feature.
    fn check(
        &mut self,
        step: &str,
        users: &[User],
        seen: &[Seen],
        (alpha, beta, general): (f64, f64, f64),
    ) {
        let tolerance = 0.5;
        let observed = &users[..seen.len()];
        let weight = (general * 100.0).round() as u16;
        for (user, now) in observed.iter().zip(seen) {
            if let (None, Some(bucket)) = (user.ring, user.bucket) {
                assert_eq!(
                    now.exposed,
                    bucket < weight,
                    "{step}: {} (bucket {bucket}) against weight {weight}",
                    user.key
                );
            }
        }
        assert_eq!(share(observed, seen, Some("alpha")), alpha, "{step}: alpha");
        assert_eq!(share(observed, seen, Some("beta")), beta, "{step}: beta");
        let measured = share(observed, seen, None);
        assert!(
            (measured - general).abs() <= tolerance,
            "{step}: general exposure {measured:.3} % is not within ±{tolerance} pp of {general} %"
        );
        let mut lost = 0;
        for (index, now) in seen.iter().enumerate() {
            if self.last[index] == Some(true) && !now.exposed {
                lost += 1;
            }
            self.last[index] = Some(now.exposed);
        }
        assert_eq!(
            lost, 0,
            "{step}: {lost} users lost the feature (ring monotonicity)"
        );
    }
}

fn events(release: &Value) -> Vec<String> {
    release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_canary_goes_from_approval_through_every_ring_to_completion() {
    let desk = Desk::open().await;
    for flag in FLAGS {
        desk.flag(flag).await;
    }
    let id = desk.create(canary(&FLAGS)).await;

    let refused = desk.act(&desk.approver, &id, "approve", json!({})).await;
    assert_eq!(
        refused.status,
        StatusCode::CONFLICT,
        "approving a draft: {}",
        refused.body
    );
    desk.must(
        &desk.manager,
        &id,
        "submit",
        json!({ "comment": "ready for review" }),
    )
    .await;
    let own = desk.act(&desk.manager, &id, "approve", json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    assert!(own.body["detail"].as_str().unwrap().contains("four eyes"));
    let approved = desk
        .must(
            &desk.approver,
            &id,
            "approve",
            json!({ "comment": "looks good" }),
        )
        .await;
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["approvals"][0]["by"]["name"], "approver");

    let early = desk.act(&desk.manager, &id, "start", json!({})).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.body["field"], "checklist[0].done");
    let ticked = desk
        .must(&desk.manager, &id, "checklist/0", json!({ "done": true }))
        .await;
    assert_eq!(ticked["state"], "approved", "ticking keeps the approvals");

    // General users stratified by bucket under the release's salt: one round of 10 000
    // (one user per bucket) where the share must be 0 or 100 %, two rounds (20 000)
    // at 1, 10 and 50 %. Shares are then exact and each user is checked one by one.
    let salt = desk.release(&id).await["salt"].as_str().unwrap().to_owned();
    let users = stratified(0x5eed_1234, &salt, 2, 1_000, 1_000);
    let rounds = |n: usize| &users[..2_000 + n * 10_000];
    let mut exposure = Exposure::new(&users);
    let seen = observe(&desk.server, &desk.sdk, rounds(1), &FLAGS, false).await;
    exposure.check("before the start", &users, &seen, (0.0, 0.0, 0.0));

    let started = desk
        .must(&desk.manager, &id, "start", json!({ "comment": "go" }))
        .await;
    assert_eq!(started["state"], "running");
    assert_eq!(started["current_stage"], 0);
    let stages = [
        ("alpha", (100.0, 0.0, 0.0), 1),
        ("beta", (100.0, 100.0, 0.0), 1),
        ("general 1 %", (100.0, 100.0, 1.0), 2),
        ("general 10 %", (100.0, 100.0, 10.0), 2),
        ("general 50 %", (100.0, 100.0, 50.0), 2),
        ("general 100 %", (100.0, 100.0, 100.0), 1),
    ];
    for (stage, (step, promised, observed)) in stages.into_iter().enumerate() {
        if stage > 0 {
            let promoted = desk.must(&desk.manager, &id, "promote", json!({})).await;
            assert_eq!(promoted["current_stage"], stage, "{step}");
        }
        let seen = observe(&desk.server, &desk.sdk, rounds(observed), &FLAGS, false).await;
        exposure.check(step, &users, &seen, promised);
    }

    let done = desk.must(&desk.manager, &id, "promote", json!({})).await;
    assert_eq!(done["state"], "completed");
    let seen = observe(&desk.server, &desk.sdk, &users[..2_000], &FLAGS, false).await;
    assert!(
        seen.iter().all(|s| s.exposed),
        "completed: everyone has the feature"
    );
    let flag = desk
        .server
        .admin(Method::GET, "/api/v1/flags/new-checkout", None)
        .await;
    let config = &flag.body["environments"]["production"];
    assert_eq!(config["default"], json!({ "variant": "on" }));
    assert_eq!(config["rules"], json!([]));
    assert_eq!(config["salt"], id.as_str());

    let release = desk.release(&id).await;
    assert_eq!(
        events(&release),
        [
            "created",
            "submitted",
            "approval_given",
            "approved",
            "checklist_updated",
            "started",
            "stage_advanced",
            "stage_advanced",
            "stage_advanced",
            "stage_advanced",
            "stage_advanced",
            "completed"
        ]
    );
    let started = &release["timeline"][5];
    assert_eq!(started["by"]["name"], "e2e-release_manager");
    assert_eq!(started["comment"], "go");
    assert_eq!(started["from"], "approved");
    assert!(
        started["at"]
            .as_str()
            .unwrap()
            .starts_with("2030-01-01T00:00:00")
    );
    assert_eq!(
        release["baseline"]["new-checkout"]["rules"][0]["conditions"][0]["values"],
        json!(["NL"]),
        "the configuration found at the start is kept for the record"
    );
    let terminal = desk
        .act(&desk.manager, &id, "rollback", json!({ "reason": "late" }))
        .await;
    assert_eq!(terminal.status, StatusCode::CONFLICT, "{}", terminal.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_release_is_paused_resumed_and_rolled_back_to_control_in_one_write() {
    let desk = Desk::open().await;
    for flag in FLAGS {
        desk.flag(flag).await;
    }
    let id = desk.approved(canary(&FLAGS)).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    for _ in 0..3 {
        desk.must(&desk.manager, &id, "promote", json!({})).await;
    }
    let salt = desk.release(&id).await["salt"].as_str().unwrap().to_owned();
    let users = stratified(0xfeed_0042, &salt, 1, 300, 300);
    let mut exposure = Exposure::new(&users);
    let at_ten = observe(&desk.server, &desk.sdk, &users, &FLAGS, false).await;
    exposure.check("general 10 %", &users, &at_ten, (100.0, 100.0, 10.0));

    let paused = desk
        .must(
            &desk.manager,
            &id,
            "pause",
            json!({ "comment": "support spike" }),
        )
        .await;
    assert_eq!(paused["state"], "paused");
    let held = observe(&desk.server, &desk.sdk, &users, &FLAGS, false).await;
    assert_eq!(held, at_ten, "a pause changes nobody's exposure");
    let again = desk.act(&desk.manager, &id, "pause", json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    for (action, body) in [
        ("percent", json!({ "percent": 25 })),
        ("promote", json!({})),
    ] {
        let refused = desk.act(&desk.manager, &id, action, body).await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{action}: {}",
            refused.body
        );
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("resume it first"),
            "{}",
            refused.body
        );
    }
    let resumed = desk.must(&desk.manager, &id, "resume", json!({})).await;
    assert_eq!(resumed["state"], "running");
    desk.must(&desk.manager, &id, "percent", json!({ "percent": 25 }))
        .await;
    let at_25 = observe(&desk.server, &desk.sdk, &users, &FLAGS, false).await;
    exposure.check(
        "general 25 % (set by hand)",
        &users,
        &at_25,
        (100.0, 100.0, 25.0),
    );

    let no_reason = desk.act(&desk.manager, &id, "rollback", json!({})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.body["field"], "reason");
    let rolled = desk
        .must(
            &desk.manager,
            &id,
            "rollback",
            json!({ "reason": "error rate up in checkout" }),
        )
        .await;
    assert_eq!(rolled["state"], "rolled_back");
    let after = observe(&desk.server, &desk.sdk, &users, &FLAGS, false).await;
    assert!(
        after.iter().all(|s| !s.exposed && s.variant == "off"),
        "after a rollback everyone gets control"
    );
    let resume = desk.act(&desk.manager, &id, "resume", json!({})).await;
    assert_eq!(
        resume.status,
        StatusCode::CONFLICT,
        "rolled back is terminal"
    );

    let audit = desk
        .server
        .admin(Method::GET, "/api/v1/audit?kind=flag&limit=10", None)
        .await;
    let rollback: Vec<&Value> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "release.rollback")
        .collect();
    assert_eq!(rollback.len(), 2, "both flags rolled back: {}", audit.body);
    assert_eq!(
        rollback[0]["revision"], rollback[1]["revision"],
        "one atomic write for every flag"
    );
    let release = desk.release(&id).await;
    let timeline = release["timeline"].as_array().unwrap();
    let [.., rolled_back, propagated] = timeline.as_slice() else {
        panic!("a short timeline: {timeline:?}");
    };
    assert_eq!(rolled_back["event"], "rolled_back");
    assert_eq!(rolled_back["comment"], "error rate up in checkout");
    // The rollback record: which write, when, and how far it reached.
    assert_eq!(propagated["event"], "rollback_propagated");
    let record = &propagated["details"];
    assert_eq!(record["revision"], rollback[0]["revision"], "{record}");
    assert_eq!(record["written_at"], rollback[0]["at"], "{record}");
    assert!(record["served_at"].is_string(), "{record}");
    assert!(record["sdk_streams"]["connected"].is_u64(), "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shadow_release_serves_control_and_names_the_would_be_variant() {
    let desk = Desk::open().await;
    desk.flag("new-search").await;
    let mut plan = canary(&["new-search"]);
    plan["strategy"] = json!("shadow");
    let id = desk.approved(plan).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    for _ in 0..4 {
        desk.must(&desk.manager, &id, "promote", json!({})).await;
    }
    let users = population(0xda4c, 200, 200, 20_000);
    let seen = observe(&desk.server, &desk.sdk, &users, &["new-search"], true).await;
    assert!(
        seen.iter().all(|s| s.variant == "off"),
        "callers keep control"
    );
    assert_eq!(share(&users, &seen, Some("alpha")), 100.0);
    let general = share(&users, &seen, None);
    assert!((general - 50.0).abs() < 1.5, "shadow exposure {general}");
    let one = desk
        .server
        .evaluate(
            &desk.sdk,
            "new-search",
            json!({ "targetingKey": "x", "ring": "alpha" }),
        )
        .await;
    assert_eq!(one.body["value"], false);
    assert_eq!(one.body["metadata"], json!({ "shadowVariant": "on" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_blue_green_release_switches_whole_audiences() {
    let desk = Desk::open().await;
    desk.flag("new-header").await;
    let mut plan = canary(&["new-header"]);
    plan["strategy"] = json!("blue_green");
    let refused = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/releases",
            Some(plan.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["field"], "stages[2].percent");
    plan["stages"] = json!([
        { "audience": "alpha", "percent": 100 },
        { "audience": "beta", "percent": 100 },
        { "audience": "general", "percent": 100 }
    ]);
    let id = desk.approved(plan).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    let users = population(0xb10e, 500, 500, 2_000);
    let seen = observe(&desk.server, &desk.sdk, &users, &["new-header"], false).await;
    assert_eq!(share(&users, &seen, Some("alpha")), 100.0);
    assert_eq!(share(&users, &seen, Some("beta")), 0.0);
    let half = desk
        .act(&desk.manager, &id, "percent", json!({ "percent": 50 }))
        .await;
    assert_eq!(
        half.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        half.body
    );
    desk.must(&desk.manager, &id, "promote", json!({})).await;
    desk.must(&desk.manager, &id, "promote", json!({})).await;
    let seen = observe(&desk.server, &desk.sdk, &users, &["new-header"], false).await;
    assert!(seen.iter().all(|s| s.exposed));
}
