//! The SDK stream end to end: changes made through the admin API reach connected SDKs
//! and raw SSE clients, `Last-Event-ID` resumes exactly, other environments' changes do
//! not wake a stream, a client that stops reading is dropped while others keep
//! receiving, and the ruleset answers `304` to its ETag.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_sdk::{ClientEvent, Context, Reason};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::support::*;

#[tokio::test]
async fn a_change_made_through_the_admin_api_reaches_a_connected_sdk() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("checkout", "off", "off")).await;
    let key = server.sdk_key("production").await;
    let client = sdk(&server.url, &key).build().await.unwrap();
    let user = Context::with_targeting_key("u1");
    assert!(!client.bool_value("checkout", &user, true));
    let mut events = client.events();

    let revision = put_flag(&server, bool_flag("checkout", "on", "off")).await;
    assert!(client.wait_for_revision(revision, DEADLINE).await);
    let details = client.bool_details("checkout", &user, false);
    assert!(details.value);
    assert_eq!(
        (details.variant.as_deref(), details.reason),
        (Some("on"), Reason::Static)
    );
    let event = tokio::time::timeout(DEADLINE, events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        ClientEvent::Changed {
            revision,
            flags: vec!["checkout".into()]
        }
    );

    let deleted = delete_flag(&server, "checkout").await;
    assert!(client.wait_for_revision(deleted, DEADLINE).await);
    let gone = client.bool_details("checkout", &user, true);
    assert_eq!(
        (gone.value, gone.error),
        (true, Some(rollgate_sdk::ErrorKind::FlagNotFound))
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn last_event_id_resumes_with_exactly_the_changes_missed() {
    let server = fast_server().await;
    let key = server.sdk_key("production").await;
    let mut first = RawStream::open(&server, "/sdk/v1/stream", Some(&key), &[]).await;
    let ruleset = first.next().await.unwrap();
    assert_eq!(ruleset.name, "ruleset");
    let start: u64 = ruleset.id.unwrap().parse().unwrap();
    drop(first);

    let mut revisions = Vec::new();
    for (i, variant) in ["on", "off", "on"].iter().enumerate() {
        revisions.push(put_flag(&server, bool_flag(&format!("f{i}"), variant, "off")).await);
    }
    let from = start.to_string();
    let mut resumed = RawStream::open(
        &server,
        "/sdk/v1/stream",
        Some(&key),
        &[("Last-Event-ID", &from)],
    )
    .await;
    for (i, revision) in revisions.iter().enumerate() {
        let event = resumed.next().await.unwrap();
        assert_eq!(
            (event.name.as_str(), event.id.clone()),
            ("change", Some(revision.to_string()))
        );
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        assert_eq!(data["revision"], *revision);
        assert_eq!(data["flags"][0]["key"], format!("f{i}"));
    }
    assert!(
        resumed.quiet_for_heartbeats(2).await.is_none(),
        "nothing repeated"
    );

    let last = revisions[2].to_string();
    let mut current = RawStream::open(
        &server,
        "/sdk/v1/stream",
        Some(&key),
        &[("Last-Event-ID", &last)],
    )
    .await;
    assert!(
        current.quiet_for_heartbeats(2).await.is_none(),
        "a current client gets nothing"
    );
    let mut unknown = RawStream::open(
        &server,
        "/sdk/v1/stream",
        Some(&key),
        &[("Last-Event-ID", "999999")],
    )
    .await;
    assert_eq!(
        unknown.next().await.unwrap().name,
        "ruleset",
        "an unknown revision starts over"
    );
}

#[tokio::test]
async fn changes_elsewhere_do_not_wake_this_environments_streams() {
    let server = fast_server().await;
    put_flag(&server, bool_flag("shared", "on", "on")).await;
    let key = server.sdk_key("production").await;
    let mut stream = RawStream::open(&server, "/sdk/v1/stream", Some(&key), &[]).await;
    assert_eq!(stream.next().await.unwrap().name, "ruleset");
    put_flag(&server, bool_flag("shared", "on", "off")).await;
    server.sdk_key("development").await;
    let revision = put_flag(&server, bool_flag("shared", "off", "off")).await;
    let event = stream.next().await.unwrap();
    assert_eq!(
        (event.name.as_str(), event.id),
        ("change", Some(revision.to_string())),
        "the development change and the token were not events here"
    );
}

#[tokio::test]
async fn the_ruleset_answers_304_to_its_etag_and_refuses_admin_tokens() {
    let server = fast_server().await;
    let key = server.sdk_key("production").await;
    let first = server
        .call(server.request(Method::GET, "/sdk/v1/ruleset", Some(&key)))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", first.body["revision"]));
    assert_eq!(first.body["environment"], "production");
    let again = server
        .call(
            server
                .request(Method::GET, "/sdk/v1/ruleset", Some(&key))
                .header("If-None-Match", &etag),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    put_flag(&server, bool_flag("new", "on", "on")).await;
    let changed = server
        .call(
            server
                .request(Method::GET, "/sdk/v1/ruleset", Some(&key))
                .header("If-None-Match", &etag),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body["flags"][0]["key"], "new");
    let admin = server
        .call(server.request(
            Method::GET,
            "/sdk/v1/ruleset",
            Some(rollgate_e2e::ADMIN_TOKEN),
        ))
        .await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    let none = server
        .call(server.request(Method::GET, "/sdk/v1/stream", None))
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn streams_per_sdk_key_are_bounded() {
    let server = Server::start_with(fast_options(&[(
        "ROLLGATE_LIMITS__MAX_STREAMS_PER_SDK_KEY",
        "2",
    )]))
    .await;
    let key = server.sdk_key("production").await;
    let _a = RawStream::open(&server, "/sdk/v1/stream", Some(&key), &[]).await;
    let _b = RawStream::open(&server, "/sdk/v1/stream", Some(&key), &[]).await;
    let third = server
        .call(server.request(Method::GET, "/sdk/v1/stream", Some(&key)))
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.header("retry-after").is_some());
    assert!(
        third.body["detail"]
            .as_str()
            .unwrap()
            .contains("max_streams_per_sdk_key")
    );
    let other = server.sdk_key("production").await;
    let _c = RawStream::open(&server, "/sdk/v1/stream", Some(&other), &[]).await;
    assert_eq!(
        wait_for_metric(&server, "rollgate_sdk_streams", |v| v == 3.0).await,
        3.0
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_while_a_reading_one_gets_every_change() {
    let server = Server::start_with(fast_options(&[("ROLLGATE_STREAM__CLIENT_BUFFER", "4")])).await;
    let key = server.sdk_key("production").await;
    let mut reader = RawStream::open(&server, "/sdk/v1/stream", Some(&key), &[]).await;
    assert_eq!(reader.next().await.unwrap().name, "ruleset");

    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket
        .connect(server.url.trim_start_matches("http://").parse().unwrap())
        .await
        .unwrap();
    let request = format!(
        "GET /sdk/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stuck.write_all(request.as_bytes()).await.unwrap();
    wait_for_metric(&server, "rollgate_sdk_streams", |v| v == 2.0).await;

    // Large changes fill the stuck client's socket buffers, then its queue.
    let padding = "x".repeat(200_000);
    let mut expected = Vec::new();
    for round in 0..200 {
        let doc = json!({
            "key": "big", "variants": { "large": format!("{round}{padding}"), "small": "s" },
            "environments": { "production": { "enabled": true, "off_variant": "small", "default": { "variant": "large" } } }
        });
        expected.push(put_flag(&server, doc).await);
        let event = reader.next().await.unwrap();
        assert_eq!(
            event.id,
            Some(expected.last().unwrap().to_string()),
            "in order, none missed"
        );
        if metric(&server, "rollgate_sdk_stream_dropped_total").await >= 1.0 {
            break;
        }
    }
    assert_eq!(
        metric(&server, "rollgate_sdk_stream_dropped_total").await,
        1.0
    );
    let revision = put_flag(&server, bool_flag("after", "on", "on")).await;
    assert_eq!(reader.next().await.unwrap().id, Some(revision.to_string()));
    drop(stuck);
    wait_for_metric(&server, "rollgate_sdk_streams", |v| v == 1.0).await;
}

#[tokio::test]
async fn ofrep_bulk_lists_an_event_stream_that_works_without_an_authorization_header() {
    let server = fast_server().await;
    let key = server.sdk_key("production").await;
    let bulk = server
        .call(
            server
                .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(&key))
                .json(&json!({ "context": { "targetingKey": "u1" } })),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK);
    let streams = bulk.body["eventStreams"].as_array().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["type"], "sse");
    assert!(streams[0]["inactivityDelaySec"].as_u64().unwrap() >= 1);
    let url = streams[0]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/ofrep/v1/event-stream?token=", server.url)),
        "{url}"
    );
    assert!(!url.contains(&key), "the SDK key itself is not in the URL");

    let path = url.trim_start_matches(&server.url);
    let mut notifications = RawStream::open(&server, path, None, &[]).await;
    let revision = put_flag(&server, bool_flag("web", "on", "on")).await;
    let event = notifications.next().await.unwrap();
    assert_eq!(
        (event.name.as_str(), event.id),
        ("message", Some(revision.to_string()))
    );
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(data["type"], "refetchEvaluation");

    let forged = server
        .call(server.request(Method::GET, &format!("{path}0"), None))
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}
