//! Graceful shutdown: SIGTERM stops new connections at once, lets a request already in
//! flight finish (its body still arriving), and the process exits 0 with the write
//! durable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: failing loudly is the point"
)]

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use rollgate_e2e::examples::boolean_flag;
use rollgate_e2e::{ADMIN_TOKEN, Options, Server};
use tokio::sync::{mpsc, oneshot};

/// How long the server gets to react to SIGTERM.
const DEADLINE: Duration = Duration::from_secs(30);

type Chunk = Result<Vec<u8>, std::io::Error>;

/// A request body fed from `chunks`; `started` fires when the client takes the first.
fn streamed_body(mut chunks: mpsc::Receiver<Chunk>, started: oneshot::Sender<()>) -> reqwest::Body {
    let mut started = Some(started);
    reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| {
        let next = chunks.poll_recv(cx);
        if next.is_ready() {
            if let Some(started) = started.take() {
                let _ = started.send(());
            }
        }
        next
    }))
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_and_refuses_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(dir.path(), Options::default()).await;
    let address = server.url.trim_start_matches("http://").to_owned();

    // One pooled connection, accepted and served before the signal.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .http1_only()
        .build()
        .unwrap();
    let health = client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    health.bytes().await.unwrap();

    let body = serde_json::to_vec(&boolean_flag("written during shutdown")).unwrap();
    let (half, rest) = body.split_at(body.len() / 2);
    let (chunks, receiver) = mpsc::channel::<Chunk>(4);
    let (started, first_polled) = oneshot::channel();
    chunks.send(Ok(half.to_vec())).await.unwrap();
    let request = client
        .request(
            Method::PUT,
            format!("{}/api/v1/flags/in-flight", server.url),
        )
        .bearer_auth(ADMIN_TOKEN)
        .header("Content-Type", "application/json")
        .body(streamed_body(receiver, started));
    let in_flight = tokio::spawn(request.send());
    tokio::time::timeout(DEADLINE, first_polled)
        .await
        .expect("the body is being sent")
        .unwrap();

    server.signal_terminate();
    let deadline = Instant::now() + DEADLINE;
    loop {
        match tokio::net::TcpStream::connect(&address).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            Err(e) => panic!("unexpected connect error {e}"),
            Ok(probe) => drop(probe),
        }
        assert!(
            Instant::now() < deadline,
            "new connections still accepted after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    chunks.send(Ok(rest.to_vec())).await.unwrap();
    drop(chunks);
    let response = tokio::time::timeout(DEADLINE, in_flight)
        .await
        .expect("the request in flight is answered")
        .unwrap()
        .expect("the request in flight completes");
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(created["key"], "in-flight");
    drop(client);

    let status = server.wait().await;
    assert_eq!(status.code(), Some(0), "{status}");

    let server = Server::start_in(dir.path(), Options::default()).await;
    let stored = server.read("/api/v1/flags/in-flight").await;
    assert_eq!(stored["description"], "written during shutdown");
    assert!(server.terminate().await.success());
}
