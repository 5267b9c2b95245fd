//! The SDK when the network or the server fails: a dropped connection and a server
//! restart lose no change (the SDK resumes by revision), and while the server is down
//! the last ruleset keeps serving, the status says so, and the SDK catches up when the
//! server returns.

use rollgate_e2e::Server;
use rollgate_sdk::{ClientEvent, Context, Status};

use super::support::*;

#[tokio::test]
async fn a_dropped_connection_loses_no_change() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("a", "off", "off")).await;
    let key = server.sdk_key("production").await;
    let proxy = Proxy::start(&server.url).await;
    let client = sdk(&proxy.url, &key).build().await.unwrap();
    let user = Context::with_targeting_key("u1");

    proxy.set_up(false);
    proxy.cut();
    assert!(
        client
            .wait_for_status(DEADLINE, |s| *s == Status::Stale)
            .await
    );
    // Changes made while the SDK is disconnected.
    put_flag(&server, bool_flag("a", "on", "off")).await;
    let last = put_flag(&server, bool_flag("b", "on", "on")).await;
    assert!(
        !client.bool_value("a", &user, true),
        "the last ruleset keeps serving"
    );
    assert!(client.revision() < last);

    proxy.set_up(true);
    assert!(client.wait_for_revision(last, DEADLINE).await);
    assert!(
        client
            .wait_for_status(DEADLINE, |s| *s == Status::Ready)
            .await
    );
    assert!(client.bool_value("a", &user, false));
    assert!(client.bool_value("b", &user, false));
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_sdk_serves_while_the_server_is_down_and_catches_up_after_a_restart() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("a", "on", "off")).await;
    let key = server.sdk_key("production").await;
    let proxy = Proxy::start(&server.url).await;
    let client = sdk(&proxy.url, &key).build().await.unwrap();
    let mut events = client.events();
    let user = Context::with_targeting_key("u1");
    let before = client.revision();

    let data = server.kill().await;
    proxy.set_up(false);
    let stale = tokio::time::timeout(DEADLINE, async {
        loop {
            if let ClientEvent::Stale { error } = events.recv().await.unwrap() {
                return error;
            }
        }
    })
    .await
    .unwrap();
    assert!(!stale.is_empty());
    assert_eq!(client.status(), Status::Stale);
    assert!(
        client.bool_value("a", &user, false),
        "served from the last ruleset"
    );

    let restarted = Server::start_in(&data, fast_options(&[])).await;
    let revision = put_flag(&restarted, bool_flag("a", "off", "off")).await;
    assert!(revision > before);
    proxy.retarget(&restarted.url);
    proxy.set_up(true);
    assert!(client.wait_for_revision(revision, DEADLINE).await);
    assert!(
        !client.bool_value("a", &user, true),
        "the change made during the outage arrived"
    );
    assert_eq!(client.status(), Status::Ready);
    client.close().await.unwrap();
    drop(restarted.kill().await);
    std::fs::remove_dir_all(&data).unwrap();
}
