//! The SDK's other ways to run: polling with `ETag`, offline from a bootstrap file, and
//! clear failures at start (no server, a refused key).

use std::time::Duration;

use reqwest::Method;
use rollgate_sdk::{Client, Context, Error, ErrorKind, Status};

use super::support::*;

#[tokio::test]
async fn polling_mode_picks_up_changes() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("a", "off", "off")).await;
    let key = server.sdk_key("production").await;
    let client = sdk(&server.url, &key)
        .polling(Duration::from_millis(50))
        .build()
        .await
        .unwrap();
    let user = Context::with_targeting_key("u1");
    assert!(!client.bool_value("a", &user, true));
    let revision = put_flag(&server, bool_flag("a", "on", "off")).await;
    assert!(client.wait_for_revision(revision, DEADLINE).await);
    assert!(client.bool_value("a", &user, false));
    client.close().await.unwrap();
    assert_eq!(client.status(), Status::Closed);
}

#[tokio::test]
async fn offline_mode_serves_a_bootstrap_file_without_a_server() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("a", "on", "off")).await;
    let key = server.sdk_key("production").await;
    let ruleset = server
        .call(server.request(Method::GET, "/sdk/v1/ruleset", Some(&key)))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruleset.json");
    std::fs::write(&path, ruleset.body.to_string()).unwrap();
    drop(server);

    let client = Client::builder("http://127.0.0.1:9", "rg_sdk_offline_x")
        .offline(&path)
        .build()
        .await
        .unwrap();
    let details = client.bool_details("a", &Context::new(), false);
    assert_eq!(
        (details.value, details.variant.as_deref()),
        (true, Some("on"))
    );
    assert_eq!(client.status(), Status::Ready);

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{").unwrap();
    let error = Client::builder("http://127.0.0.1:9", "k")
        .offline(&broken)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Bootstrap { .. }), "{error}");
}

#[tokio::test]
async fn start_fails_clearly_without_a_server_or_with_a_refused_key() {
    let unreachable = sdk("http://127.0.0.1:9", "rg_sdk_nobody_x")
        .ready_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap_err();
    match unreachable {
        Error::Timeout {
            last_error: Some(last),
            ..
        } => assert!(last.contains("reach"), "{last}"),
        other => panic!("{other}"),
    }
    let server = fast_server().await;
    let refused = sdk(&server.url, rollgate_e2e::ADMIN_TOKEN)
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Rejected(ref m) if m.contains("403")),
        "{refused}"
    );

    let pending = sdk("http://127.0.0.1:9", "rg_sdk_nobody_x")
        .build_background()
        .unwrap();
    let details = pending.bool_details("a", &Context::new(), true);
    assert_eq!(
        (details.value, details.error),
        (true, Some(ErrorKind::NotReady))
    );
    assert_eq!(pending.status(), Status::Starting);
}
