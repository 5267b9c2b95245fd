//! The operator's way back in and the demo a second time: `rollgate admin-token create`
//! mints an admin token into a stopped server's store (and refuses, saying why, while a
//! server holds the store, or where there is no store); `serve --demo` on a store that
//! already holds the demo says so; logs carry no colour codes when stderr is not a
//! terminal.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, binary, wait};

/// Runs `rollgate admin-token create --data-dir DIR`.
async fn mint(dir: &Path) -> std::process::Output {
    tokio::process::Command::new(binary())
        .args(["admin-token", "create", "--name", "on-call", "--data-dir"])
        .arg(dir)
        .env_remove("ROLLGATE_DATA_DIR")
        .output()
        .await
        .unwrap()
}

fn demo() -> Options {
    Options {
        args: vec!["--demo".into()],
        no_admin_token: true,
        capture_stderr: true,
        env: vec![("ROLLGATE_LOG__LEVEL".to_owned(), "info".to_owned())],
        ..Options::default()
    }
}

#[tokio::test]
async fn lost_credentials_come_back_offline_and_a_second_demo_says_it_was_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = mint(&dir.path().join("empty")).await;
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&nowhere.stderr).contains("no Rollgate store in"),
        "{}",
        String::from_utf8_lossy(&nowhere.stderr)
    );

    let server = Server::start_in(dir.path(), demo()).await;
    let busy = mint(dir.path()).await;
    assert_eq!(busy.status.code(), Some(2));
    let said = String::from_utf8_lossy(&busy.stderr);
    assert!(
        said.contains("in use by another process") && said.contains("stop the server first"),
        "{said}"
    );
    assert!(busy.stdout.is_empty(), "no token while the server runs");
    let logs = server.stderr();
    assert!(!logs.is_empty(), "the server logged at info");
    assert!(
        logs.iter().all(|line| !line.contains('\u{1b}')),
        "no colour codes into a pipe: {logs:?}"
    );
    assert!(server.terminate().await.success());

    let minted = mint(dir.path()).await;
    assert_eq!(
        minted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("rg_adm_"), "{token}");

    let again = Server::start_in(dir.path(), demo()).await;
    let said = wait::until(Duration::from_secs(10), "the demo notice", || {
        let mut lines = again.banner.clone();
        lines.extend(again.stdout());
        async move {
            lines
                .iter()
                .find(|l| l.contains("demo data already loaded"))
                .cloned()
                .ok_or_else(|| format!("{lines:?}"))
        }
    })
    .await;
    assert!(said.contains(&dir.path().display().to_string()), "{said}");
    let lines = [again.banner.clone(), again.stdout()].concat();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rollgate admin-token create --data-dir")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("admin token:")),
        "no new credentials: {lines:?}"
    );
    let tokens = again
        .call(again.request(Method::GET, "/api/v1/tokens", Some(&token)))
        .await;
    assert_eq!(
        tokens.status,
        StatusCode::OK,
        "the minted token is an admin's"
    );
    let audit = again
        .call(again.request(
            Method::GET,
            "/api/v1/audit?kind=token&limit=1",
            Some(&token),
        ))
        .await;
    assert_eq!(
        audit.body[0]["actor"], "system:admin-token",
        "{}",
        audit.body
    );
    assert_eq!(audit.body[0]["after"]["name"], "on-call");
}
