//! Graceful shutdown: SIGTERM stops new connections at once, lets a request already in
//! flight finish (its body still arriving), and the process exits 0 with the write
//! durable.
//!
//! The request in flight is written by hand on one TCP connection, after a first
//! request on that same connection has been answered: so the server has certainly
//! accepted the connection before the signal, whatever the scheduling.

use std::time::Duration;

use rollgate_e2e::examples::boolean_flag;
use rollgate_e2e::{ADMIN_TOKEN, Options, Server, wait};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long the server gets to react to SIGTERM or to answer.
const DEADLINE: Duration = Duration::from_secs(30);

/// Reads one HTTP/1.1 response: its status and body (which has a `Content-Length`).
async fn read_response(connection: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut line = String::new();
    connection.read_line(&mut line).await.unwrap();
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no status line: {line:?}"))
        .parse()
        .unwrap();
    let mut length = 0;
    loop {
        line.clear();
        connection.read_line(&mut line).await.unwrap();
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    connection.read_exact(&mut body).await.unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_and_refuses_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(dir.path(), Options::default()).await;
    let address = server.url.trim_start_matches("http://").to_owned();

    let mut connection = BufReader::new(TcpStream::connect(&address).await.unwrap());
    connection
        .get_mut()
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: rollgate\r\n\r\n")
        .await
        .unwrap();
    let (status, _) = tokio::time::timeout(DEADLINE, read_response(&mut connection))
        .await
        .unwrap();
    assert_eq!(status, 200);

    // Headers and half the body, then the signal, then the rest.
    let body = serde_json::to_vec(&boolean_flag("written during shutdown")).unwrap();
    let (half, rest) = body.split_at(body.len() / 2);
    let head = format!(
        "PUT /api/v1/flags/in-flight HTTP/1.1\r\nHost: rollgate\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let stream = connection.get_mut();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(half).await.unwrap();
    stream.flush().await.unwrap();

    server.signal_terminate();
    wait::until(
        DEADLINE,
        "new connections to be refused after SIGTERM",
        || async {
            match TcpStream::connect(&address).await {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
                // A handshake racing with the listener's close is reset: not served either.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Err("a reset"),
                Err(e) => panic!("unexpected connect error {e}"),
                Ok(_) => Err("a connection accepted"),
            }
        },
    )
    .await;

    connection.get_mut().write_all(rest).await.unwrap();
    let (status, answer) = tokio::time::timeout(DEADLINE, read_response(&mut connection))
        .await
        .expect("the request in flight is answered");
    assert_eq!(status, 201, "{answer}");
    let created: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(created["key"], "in-flight");
    drop(connection);

    let status = server.wait().await;
    assert_eq!(status.code(), Some(0), "{status}");

    let server = Server::start_in(dir.path(), Options::default()).await;
    let stored = server.read("/api/v1/flags/in-flight").await;
    assert_eq!(stored["description"], "written during shutdown");
    assert!(server.terminate().await.success());
}
