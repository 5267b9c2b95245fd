//! A closed stream gives its place in the per-key bound back as soon as its connection
//! closes, not at the next heartbeat; SDK streams and OFREP event streams are bounded
//! separately, so a web client's notification stream never takes an SDK's place.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, wait};

use super::support::setting;

/// Opens `path` as a stream with `sdk` and reads its first bytes.
async fn open(server: &Server, path: &str, sdk: &str) -> Result<reqwest::Response, StatusCode> {
    let response = server
        .request(Method::GET, path, Some(sdk))
        .send()
        .await
        .unwrap();
    if response.status() != StatusCode::OK {
        return Err(response.status());
    }
    Ok(response)
}

async fn first_bytes(response: reqwest::Response) -> impl futures_util::Stream {
    let mut body = response.bytes_stream();
    let first = body.next().await.expect("a first frame").unwrap();
    assert!(!first.is_empty());
    body
}

#[tokio::test]
async fn a_closed_stream_frees_its_place_at_once_and_each_kind_has_its_own_bound() {
    let server = Server::start_with(Options {
        env: vec![
            setting("ROLLGATE_LIMITS__MAX_STREAMS_PER_SDK_KEY", "1"),
            setting("ROLLGATE_LIMITS__MAX_OFREP_STREAMS_PER_SDK_KEY", "1"),
            setting("ROLLGATE_STREAM__HEARTBEAT_INTERVAL", "1h"),
        ],
        ..Options::default()
    })
    .await;
    let sdk = server.sdk_key("production").await;
    let stream = first_bytes(open(&server, "/sdk/v1/stream", &sdk).await.unwrap()).await;
    let events = open(&server, "/ofrep/v1/event-stream", &sdk)
        .await
        .expect("an OFREP event stream beside the SDK's");
    let _events = first_bytes(events).await;
    assert_eq!(
        open(&server, "/sdk/v1/stream", &sdk).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(
        open(&server, "/ofrep/v1/event-stream", &sdk).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    // The SDK goes away: its connection closes, and its place is free within a second
    // (the next heartbeat is an hour away).
    drop(stream);
    let again = wait::until(
        Duration::from_secs(1),
        "the closed stream's place",
        || async {
            open(&server, "/sdk/v1/stream", &sdk)
                .await
                .map_err(|s| s.to_string())
        },
    )
    .await;
    drop(first_bytes(again).await);
}
