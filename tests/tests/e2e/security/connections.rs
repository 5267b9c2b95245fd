//! Connections are bounded: a declared `Content-Length` over the route's limit gets 413
//! at once, before any body is read (OFREP included); a body that trickles in slower
//! than `limits.read_timeout` allows gets 408; a request head that never ends is closed
//! too. Nobody holds a connection open by sending slowly.

use std::time::{Duration, Instant};

use rollgate_e2e::{ADMIN_TOKEN, Options, Server};
use tokio::io::AsyncWriteExt;

use super::support::{answer_within, connect, setting, status_of};

/// A request head with `Content-Length: length`, authorized by `token`.
fn head(method: &str, path: &str, token: &str, length: u64) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: rollgate\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_at_once() {
    let server = Server::start().await;
    let sdk = server.sdk_key("production").await;
    for (method, path, token) in [
        ("POST", "/ofrep/v1/evaluate/flags", sdk.as_str()),
        (
            "POST",
            "/ofrep/v1/evaluate/flags/new-checkout",
            sdk.as_str(),
        ),
        ("POST", "/sdk/v1/exposures", sdk.as_str()),
        ("PUT", "/api/v1/flags/huge", ADMIN_TOKEN),
        ("POST", "/api/v1/releases", ADMIN_TOKEN),
    ] {
        let mut stream = connect(&server).await;
        let started = Instant::now();
        stream
            .write_all(head(method, path, token, 10_000_000_000).as_bytes())
            .await
            .unwrap();
        stream.write_all(b"{").await.unwrap();
        let answer = answer_within(&mut stream, Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("{method} {path}: no answer within a second"));
        assert_eq!(status_of(&answer), 413, "{method} {path}: {answer}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[tokio::test]
async fn a_trickling_body_is_answered_408_after_the_read_timeout() {
    let server = Server::start_with(Options {
        env: vec![setting("ROLLGATE_LIMITS__READ_TIMEOUT", "1s")],
        ..Options::default()
    })
    .await;
    let sdk = server.sdk_key("production").await;
    for (method, path, token) in [
        ("PUT", "/api/v1/flags/slow", ADMIN_TOKEN),
        ("POST", "/ofrep/v1/evaluate/flags", sdk.as_str()),
    ] {
        let mut stream = connect(&server).await;
        stream
            .write_all(head(method, path, token, 1000).as_bytes())
            .await
            .unwrap();
        // One byte every 200 ms: the body would take 200 s to arrive.
        let mut answer = None;
        let mut pace = tokio::time::interval(Duration::from_millis(200));
        for _ in 0..50 {
            pace.tick().await;
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            if let Some(text) = answer_within(&mut stream, Duration::from_millis(1)).await {
                answer = Some(text);
                break;
            }
        }
        let answer = match answer {
            Some(answer) => answer,
            None => answer_within(&mut stream, Duration::from_secs(2))
                .await
                .unwrap_or_else(|| panic!("{method} {path}: still open after 10 s")),
        };
        assert_eq!(status_of(&answer), 408, "{method} {path}: {answer}");
    }
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_closed() {
    let server = Server::start_with(Options {
        env: vec![setting("ROLLGATE_LIMITS__READ_TIMEOUT", "1s")],
        ..Options::default()
    })
    .await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: rollgate\r\n")
        .await
        .unwrap();
    let answer = answer_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the server gives up on the head");
    assert_eq!(status_of(&answer), 408, "{answer}");
}
