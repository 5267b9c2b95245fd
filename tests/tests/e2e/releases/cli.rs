//! The release manager's command line, end to end: the `rollgate` binary run as a
//! client against a running server, with human output and `--json`, and its errors.

use rollgate_e2e::binary;
use serde_json::{Value, json};

use super::support::{Desk, canary};

/// What one run of the client printed.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs `rollgate <args>` against the desk's server with `token` (from ROLLGATE_TOKEN).
async fn rollgate(desk: &Desk, token: &str, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(binary())
        .args(args)
        .env("ROLLGATE_URL", &desk.server.url)
        .env("ROLLGATE_TOKEN", token)
        .output()
        .await
        .unwrap();
    Run {
        status: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

async fn ok(desk: &Desk, token: &str, args: &[&str]) -> String {
    let run = rollgate(desk, token, args).await;
    assert_eq!(
        run.status, 0,
        "rollgate {args:?}: {}{}",
        run.stdout, run.stderr
    );
    run.stdout
}

#[tokio::test]
async fn a_release_manager_drives_a_release_from_the_terminal() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    desk.flag("dark-mode").await;
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, canary(&["new-checkout"]).to_string()).unwrap();
    let manager = desk.manager.clone();
    let m = manager.as_str();

    let created: Value = serde_json::from_str(
        &ok(
            &desk,
            m,
            &["release", "create", plan.to_str().unwrap(), "--json"],
        )
        .await,
    )
    .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["state"], "draft");

    let listed = ok(&desk, m, &["release", "list"]).await;
    assert!(listed.starts_with("ID"), "{listed}");
    assert!(listed.contains(&id) && listed.contains("draft"), "{listed}");

    let submitted = ok(&desk, m, &["release", "submit", &id, "--comment", "ready"]).await;
    assert_eq!(
        submitted.trim(),
        format!("submit: {id} pending_approval — Checkout v2 2.4.0")
    );
    let own = rollgate(&desk, m, &["release", "approve", &id]).await;
    assert_eq!(own.status, 1);
    assert!(
        own.stderr.contains("four eyes") && own.stderr.contains("HTTP 403"),
        "{}",
        own.stderr
    );
    ok(&desk, &desk.approver, &["release", "approve", &id]).await;
    let early = rollgate(&desk, m, &["release", "start", &id]).await;
    assert_eq!(early.status, 1);
    assert!(
        early.stderr.contains("[field: checklist[0].done]"),
        "{}",
        early.stderr
    );
    ok(&desk, m, &["release", "check", &id, "0"]).await;
    let started = ok(&desk, m, &["release", "start", &id]).await;
    assert!(
        started.contains("running, stage 1/6 (alpha) at 100 %"),
        "{started}"
    );
    ok(&desk, m, &["release", "promote", &id]).await;
    let general = ok(
        &desk,
        m,
        &["release", "promote", &id, "--comment", "beta is happy"],
    )
    .await;
    assert!(general.contains("stage 3/6 (general) at 1 %"), "{general}");
    let raised = ok(&desk, m, &["release", "set-percent", &id, "12.5"]).await;
    assert!(raised.contains("at 12.5 %"), "{raised}");
    let lower = rollgate(&desk, m, &["release", "set-percent", &id, "5"]).await;
    assert_eq!(lower.status, 1);
    assert!(
        lower.stderr.contains("[field: percent]"),
        "{}",
        lower.stderr
    );
    ok(&desk, m, &["release", "pause", &id]).await;
    let paused = ok(&desk, m, &["release", "list", "--state", "paused"]).await;
    assert!(paused.contains(&id), "{paused}");
    ok(&desk, m, &["release", "resume", &id]).await;

    let shown = ok(&desk, &desk.viewer, &["release", "show", &id]).await;
    assert!(shown.contains(" > 2  general"), "{shown}");
    assert!(
        shown.contains("0 [x] Marketing materials package (pmm)"),
        "{shown}"
    );
    assert!(
        shown.contains("percent_set") && shown.contains("beta is happy"),
        "{shown}"
    );

    let flags = ok(&desk, m, &["flag", "list"]).await;
    assert!(
        flags.contains("new-checkout") && flags.contains("on 12.5 % / off 87.5 %"),
        "{flags}"
    );
    let busy = rollgate(
        &desk,
        m,
        &[
            "flag",
            "set-percent",
            "new-checkout",
            "50",
            "--environment",
            "production",
        ],
    )
    .await;
    assert_eq!(busy.status, 2, "{}", busy.stderr);
    assert!(
        busy.stderr
            .contains(&format!("rollgate release set-percent {id}")),
        "{}",
        busy.stderr
    );

    let rolled = ok(
        &desk,
        m,
        &["release", "rollback", &id, "--reason", "checkout errors"],
    )
    .await;
    assert!(rolled.contains("rolled_back"), "{rolled}");
    let json: Value =
        serde_json::from_str(&ok(&desk, m, &["release", "show", &id, "--json"]).await).unwrap();
    let rolled_back = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["event"] == "rolled_back")
        .unwrap();
    assert_eq!(rolled_back["comment"], "checkout errors");

    let set = ok(
        &desk,
        m,
        &[
            "flag",
            "set-percent",
            "dark-mode",
            "30",
            "--environment",
            "production",
        ],
    )
    .await;
    assert_eq!(
        set.trim(),
        "dark-mode in production: 1 rule(s), default on 30 % / off 70 %"
    );
    let flag: Value =
        serde_json::from_str(&ok(&desk, m, &["flag", "show", "dark-mode", "--json"]).await)
            .unwrap();
    assert_eq!(
        flag["environments"]["production"]["default"],
        json!({ "rollout": [ { "variant": "on", "weight": 3000 }, { "variant": "off", "weight": 7000 } ] })
    );
    let shown = ok(&desk, m, &["flag", "show", "dark-mode"]).await;
    assert!(
        shown.contains("production: 1 rule(s), default on 30 % / off 70 %"),
        "{shown}"
    );
}

#[tokio::test]
async fn client_errors_are_explained_with_an_exit_status() {
    let desk = Desk::open().await;
    let viewer = desk.viewer.clone();
    let forbidden = rollgate(&desk, &viewer, &["release", "cancel", "rel-nope"]).await;
    assert_eq!(forbidden.status, 1);
    assert!(
        forbidden.stderr.contains("HTTP 403"),
        "{}",
        forbidden.stderr
    );
    let missing = rollgate(&desk, &desk.manager, &["release", "show", "rel-nope"]).await;
    assert_eq!(missing.status, 1);
    assert!(missing.stderr.contains("HTTP 404"), "{}", missing.stderr);
    let bad_plan = rollgate(
        &desk,
        &desk.manager,
        &["release", "create", "/nonexistent/plan.json"],
    )
    .await;
    assert_eq!(bad_plan.status, 2);
    assert!(
        bad_plan.stderr.contains("cannot read"),
        "{}",
        bad_plan.stderr
    );
    let percent = rollgate(
        &desk,
        &desk.manager,
        &[
            "flag",
            "set-percent",
            "x",
            "101",
            "--environment",
            "production",
        ],
    )
    .await;
    assert_eq!(percent.status, 2, "{}", percent.stderr);

    let no_token = tokio::process::Command::new(binary())
        .args(["release", "list", "--url", &desk.server.url])
        .env_remove("ROLLGATE_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("ROLLGATE_TOKEN"));
    let unreachable = tokio::process::Command::new(binary())
        .args([
            "flag",
            "list",
            "--url",
            "http://127.0.0.1:9",
            "--token",
            "x",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach"));
}
