//! The release manager's command line, end to end: the `rollgate` binary run as a
//! client against a running server, with human output and `--json`, and its errors.

use rollgate_e2e::binary;
use serde_json::{Value, json};

use super::support::{Desk, canary};

/// What one run of the client printed.
pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `rollgate <args>` against the desk's server with `token` (from ROLLGATE_TOKEN).
pub(crate) async fn rollgate(desk: &Desk, token: &str, args: &[&str]) -> Run {
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

pub(crate) async fn ok(desk: &Desk, token: &str, args: &[&str]) -> String {
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
        format!("submitted: {id} pending_approval — Checkout v2 2.4.0")
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
    let zero = rollgate(&desk, m, &["release", "check", &id, "0"]).await;
    assert_eq!(zero.status, 2, "items are numbered from 1: {}", zero.stderr);
    ok(&desk, m, &["release", "check", &id, "1"]).await;
    let dry = ok(&desk, m, &["release", "start", &id, "--dry-run"]).await;
    assert!(dry.contains("ready to start"), "{dry}");
    assert!(dry.contains("warnings: none"), "{dry}");
    assert_eq!(
        desk.release(&id).await["state"],
        "approved",
        "a dry run changes nothing"
    );
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
    assert!(
        raised.contains("at 12.5 % (planned 1 %)"),
        "applied and planned: {raised}"
    );
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
    assert!(
        shown.contains(" >  3  general         1 %    12.5 %"),
        "stage 3 of 6, planned and applied: {shown}"
    );
    assert!(
        shown.contains("    2  beta          100 %      done"),
        "{shown}"
    );
    assert!(
        shown.contains("1 [x] Marketing materials package (pmm)"),
        "{shown}"
    );
    for line in [
        "stage_advanced      by e2e-release_manager — stage 2 → 3: general 1 % — beta is happy",
        "percent_set         by e2e-release_manager — general 1 % → 12.5 %",
        "paused              by e2e-release_manager — running → paused",
        "checklist_updated   by e2e-release_manager — item 1 \"Marketing materials package\" done",
    ] {
        assert!(shown.contains(line), "{line} in {shown}");
    }
    // RFC 3339 to the second: the manual clock's start.
    assert!(
        shown.contains("\n  2030-01-01T00:00:00Z  started "),
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
    assert_eq!(busy.status, 1, "{}", busy.stderr);
    assert!(
        busy.stderr.contains(&format!("release {id}"))
            && busy.stderr.contains("rollgate release set-percent")
            && busy.stderr.contains("HTTP 409"),
        "the server names the release that owns the flag: {}",
        busy.stderr
    );

    let rolled = ok(
        &desk,
        m,
        &["release", "rollback", &id, "--reason", "checkout errors"],
    )
    .await;
    assert!(rolled.starts_with("rolled back: "), "{rolled}");
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

#[tokio::test]
async fn the_cli_prints_ids_for_scripts_previews_a_start_and_pulls_the_kill_switch() {
    let desk = Desk::open().await;
    let reply = desk
        .server
        .admin(
            reqwest::Method::PUT,
            "/api/v1/flags/new-checkout",
            Some(json!({
                "variants": { "on": true, "off": false },
                "environments": { "production": { "enabled": true, "off_variant": "off",
                    "default": { "rollout": [ { "variant": "on", "weight": 5000 }, { "variant": "off", "weight": 5000 } ] } } }
            })),
        )
        .await;
    assert_eq!(reply.status, reqwest::StatusCode::CREATED);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, canary(&["new-checkout"]).to_string()).unwrap();
    let m = desk.manager.clone();
    let m = m.as_str();

    let id = ok(
        &desk,
        m,
        &["release", "create", plan.to_str().unwrap(), "--quiet"],
    )
    .await;
    let id = id.trim_end();
    assert!(
        id.starts_with("rel-") && !id.contains(' '),
        "just the id: {id:?}"
    );
    ok(&desk, m, &["release", "submit", id]).await;
    ok(&desk, &desk.approver, &["release", "approve", id]).await;
    ok(&desk, m, &["release", "check", id, "1"]).await;

    let dry = ok(&desk, m, &["release", "start", id, "--dry-run"]).await;
    for part in [
        "new-checkout → on (control off)",
        "now:          0 rule(s), default on 50 % / off 50 %; salt: the flag key",
        "general                   50 %      0 % to 100 %",
        "exposure_decrease",
        "cohort_reshuffle",
        "to start: rollgate release start",
    ] {
        assert!(dry.contains(part), "{part} in {dry}");
    }
    let refused = rollgate(&desk, m, &["release", "start", id]).await;
    assert_eq!(refused.status, 1);
    assert!(refused.stderr.contains("HTTP 409"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "to go ahead: rollgate release start {id} --acknowledge exposure_decrease --acknowledge cohort_reshuffle"
        )),
        "{}",
        refused.stderr
    );
    let started = ok(
        &desk,
        m,
        &[
            "release",
            "start",
            id,
            "--acknowledge",
            "exposure_decrease,cohort_reshuffle",
        ],
    )
    .await;
    assert!(
        started.starts_with(&format!(
            "started: {id} running, stage 1/6 (alpha) at 100 %"
        )),
        "{started}"
    );

    let editor = desk.server.admin_token("editor").await;
    let off = ok(
        &desk,
        &editor,
        &[
            "flag",
            "disable",
            "new-checkout",
            "--environment",
            "production",
            "--reason",
            "errors & timeouts",
        ],
    )
    .await;
    assert!(off.contains("disabled (serves off)"), "{off}");
    let shown = ok(&desk, m, &["release", "show", id]).await;
    assert!(
        shown.contains("flag_disabled       by e2e-editor — flag new-checkout disabled in production (kill switch) — errors & timeouts"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{id} paused, stage 1/6")),
        "{shown}"
    );
    let resume = rollgate(&desk, m, &["release", "resume", id]).await;
    assert_eq!(resume.status, 1);
    assert!(
        resume.stderr.contains("is disabled in production"),
        "{}",
        resume.stderr
    );
    ok(
        &desk,
        &editor,
        &[
            "flag",
            "enable",
            "new-checkout",
            "--environment",
            "production",
        ],
    )
    .await;
    ok(&desk, m, &["release", "resume", id]).await;
}

#[tokio::test]
async fn rollgate_without_a_subcommand_prints_its_help_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(binary())
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let help = String::from_utf8_lossy(&output.stderr);
    assert!(
        help.contains("Usage: rollgate") && help.contains("serve"),
        "{help}"
    );
    assert!(!dir.path().join("data").exists(), "no ./data created");
}
