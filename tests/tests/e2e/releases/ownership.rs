//! A running or paused release owns its flags in its environment: an editor's writes
//! there are refused with a 409 naming the release and its actions — whole flag,
//! one configuration, deletes — except the kill switch, which pauses the release in
//! the same commit, leaves `flag_disabled` on its timeline and in its report, and
//! keeps resume and promote refused until the flag is enabled again by an explicit
//! write. A flagd import is held to the same ownership.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{Desk, canary};

/// The flag's production configuration, as the release applied it.
async fn production(desk: &Desk) -> (Value, String) {
    let flag = desk
        .server
        .admin(Method::GET, "/api/v1/flags/new-checkout", None)
        .await;
    let etag = flag.header("ETag").unwrap().to_owned();
    (flag.body, etag)
}

/// `PUT path` with `token`, `If-Match` and a body.
async fn put(desk: &Desk, token: &str, path: &str, etag: &str, body: Value) -> rollgate_e2e::Reply {
    let request = desk
        .server
        .request(Method::PUT, path, Some(token))
        .header("If-Match", etag)
        .json(&body);
    desk.server.call(request).await
}

fn names_the_release(reply: &rollgate_e2e::Reply, id: &str) {
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.contains(id), "{detail}");
    assert!(
        detail.contains(&format!("/api/v1/releases/{id}/percent")) && detail.contains("rollback"),
        "says how to change the rollout: {detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_cannot_change_a_running_release_s_flag_but_may_pull_its_kill_switch() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let editor = desk.server.admin_token("editor").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    desk.must(&desk.manager, &id, "promote", json!({})).await;
    let (flag, etag) = production(&desk).await;
    let config = flag["environments"]["production"].clone();
    let before = desk.release(&id).await;

    // Every other write to the owned configuration: 409, nothing written.
    let mut everyone = config.clone();
    everyone["default"] = json!({ "variant": "on" });
    let config_path = "/api/v1/flags/new-checkout/environments/production";
    names_the_release(
        &put(&desk, &editor, config_path, &etag, everyone.clone()).await,
        &id,
    );
    let mut whole = flag.clone();
    whole["environments"]["production"] = everyone;
    names_the_release(
        &put(&desk, &editor, "/api/v1/flags/new-checkout", &etag, whole).await,
        &id,
    );
    let mut revalued = flag.clone();
    revalued["variants"]["on"] = json!(false);
    let reply = put(
        &desk,
        &editor,
        "/api/v1/flags/new-checkout",
        &etag,
        revalued,
    )
    .await;
    names_the_release(&reply, &id);
    assert_eq!(reply.body["field"], "variants.on");
    for path in [config_path, "/api/v1/flags/new-checkout"] {
        let request = desk
            .server
            .request(Method::DELETE, path, Some(&editor))
            .header("If-Match", &etag);
        names_the_release(&desk.server.call(request).await, &id);
    }
    assert_eq!(production(&desk).await.1, etag, "nothing was written");
    assert_eq!(desk.release(&id).await["version"], before["version"]);

    // What the release does not own stays writable: the description, a new variant.
    let mut described = flag.clone();
    described["description"] = json!("one-page checkout");
    described["variants"]["beta-look"] = json!(true);
    let reply = put(
        &desk,
        &editor,
        "/api/v1/flags/new-checkout",
        &etag,
        described,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let etag = reply.header("ETag").unwrap().to_owned();

    // The kill switch: allowed to an editor, pauses the release in the same commit.
    let mut off = config.clone();
    off["enabled"] = json!(false);
    let reply = put(
        &desk,
        &editor,
        &format!("{config_path}?reason=checkout%20errors%20at%204%25"),
        &etag,
        off,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let etag = reply.header("ETag").unwrap().to_owned();
    let paused = desk.release(&id).await;
    assert_eq!(paused["state"], "paused");
    let timeline = paused["timeline"].as_array().unwrap();
    let disabled = &timeline[timeline.len() - 2];
    assert_eq!(disabled["event"], "flag_disabled");
    assert_eq!(disabled["by"]["name"], "e2e-editor");
    assert_eq!(disabled["comment"], "checkout errors at 4%");
    assert_eq!(disabled["details"]["flag"], "new-checkout");
    assert!(disabled["at"].is_string());
    let pause = &timeline[timeline.len() - 1];
    assert_eq!(
        (&pause["event"], &pause["to"]),
        (&json!("paused"), &json!("paused"))
    );
    assert_eq!(pause["at"], disabled["at"], "one commit");
    for user in ["user-1", "user-2"] {
        let served = desk
            .server
            .evaluate(
                &desk.sdk,
                "new-checkout",
                json!({ "targetingKey": user, "ring": "alpha" }),
            )
            .await;
        assert_eq!(served.body["reason"], "DISABLED", "{}", served.body);
        assert_eq!(served.body["variant"], "off");
    }

    // Nothing re-enables it but an explicit write.
    let refused = desk.act(&desk.manager, &id, "resume", json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("disabled")
    );
    let refused = desk.act(&desk.manager, &id, "promote", json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("resume it first"),
        "{}",
        refused.body
    );
    let mut on = config.clone();
    on["enabled"] = json!(true);
    let reply = put(&desk, &editor, config_path, &etag, on).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let enabled = desk.release(&id).await;
    assert_eq!(enabled["state"], "paused", "enabling does not resume");
    assert_eq!(
        enabled["timeline"].as_array().unwrap().last().unwrap()["event"],
        "flag_enabled"
    );
    desk.must(&desk.manager, &id, "resume", json!({})).await;
    let promoted = desk.must(&desk.manager, &id, "promote", json!({})).await;
    assert_eq!(promoted["current_stage"], 2);

    // The report tells the kill switch as an issue, with what followed.
    let report = desk
        .call(
            &desk.viewer,
            Method::GET,
            &format!("/api/v1/releases/{id}/report"),
            None,
        )
        .await;
    let issue = report.body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "flag_disabled")
        .unwrap_or_else(|| panic!("{}", report.body["issues"]))
        .clone();
    assert!(
        issue["summary"]
            .as_str()
            .unwrap()
            .contains("checkout errors at 4%")
    );
    let actions: Vec<&str> = issue["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions[0].starts_with("paused the release"), "{actions:?}");
    assert!(
        actions
            .iter()
            .any(|a| a.starts_with("enabled flag new-checkout")),
        "{actions:?}"
    );
    assert!(
        actions.last().unwrap().starts_with("resumed"),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_leaves_a_disabled_flag_disabled_and_other_environments_stay_writable() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    let (flag, etag) = production(&desk).await;

    // Another environment's configuration is not the release's.
    let development =
        json!({ "enabled": true, "off_variant": "off", "default": { "variant": "on" } });
    let reply = put(
        &desk,
        rollgate_e2e::ADMIN_TOKEN,
        "/api/v1/flags/new-checkout/environments/development",
        &etag,
        development,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let etag = reply.header("ETag").unwrap().to_owned();

    // The kill switch through the whole flag, without a reason.
    let mut off = flag.clone();
    off["environments"]["development"] = reply.body["environments"]["development"].clone();
    off["environments"]["production"]["enabled"] = json!(false);
    let reply = put(
        &desk,
        rollgate_e2e::ADMIN_TOKEN,
        "/api/v1/flags/new-checkout",
        &etag,
        off,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(desk.release(&id).await["state"], "paused");
    let refused = desk
        .act(&desk.manager, &id, "percent", json!({ "percent": 50 }))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);

    let rolled = desk
        .must(
            &desk.manager,
            &id,
            "rollback",
            json!({ "reason": "kill switch pulled" }),
        )
        .await;
    assert_eq!(rolled["state"], "rolled_back");
    let config = &production(&desk).await.0["environments"]["production"];
    assert_eq!(config["enabled"], false, "rollback re-enables nothing");
    assert_eq!(config["default"], json!({ "variant": "off" }));
    let served = desk
        .server
        .evaluate(
            &desk.sdk,
            "new-checkout",
            json!({ "targetingKey": "user-1" }),
        )
        .await;
    assert_eq!(served.body["reason"], "DISABLED");
    // Once the release is over, the flag is the editors' again.
    let (flag, etag) = production(&desk).await;
    let mut free = flag["environments"]["production"].clone();
    free["enabled"] = json!(true);
    free["default"] = json!({ "variant": "on" });
    let reply = put(
        &desk,
        rollgate_e2e::ADMIN_TOKEN,
        "/api/v1/flags/new-checkout/environments/production",
        &etag,
        free,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flagd_import_cannot_replace_a_running_release_s_flag() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let id = desk.approved(canary(&["new-checkout"])).await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    let (before, _) = production(&desk).await;
    let file = json!({ "flags": { "new-checkout": {
        "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "on" } } });
    for query in [
        "environment=production&replace=true&dry_run=true",
        "environment=production&replace=true",
    ] {
        let request = desk
            .server
            .request(
                Method::POST,
                &format!("/api/v1/import/flagd?{query}"),
                Some(rollgate_e2e::ADMIN_TOKEN),
            )
            .json(&file);
        let reply = desk.server.call(request).await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{query}: {}",
            reply.body
        );
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(&id), "{detail}");
    }
    assert_eq!(production(&desk).await.0, before, "nothing was written");
}
