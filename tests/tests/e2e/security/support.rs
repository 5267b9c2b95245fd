//! What the security tests share: a local HTTP receiver that records every request and
//! answers as the test decides (a Prometheus that redirects, a webhook receiver), raw
//! TCP requests for what an HTTP client will not send (a lying `Content-Length`, a body
//! trickled byte by byte), and a release plan with an analysis section.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Server, wait};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The released flag, as the controller tests create it.
pub use crate::controller::support::{FLAG, create_flag};

/// One request a [`Receiver`] got.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST` …
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// The header lines, `name: value` with the name lowercased.
    pub headers: Vec<String>,
    /// The body.
    pub body: String,
}

/// What a [`Receiver`] answers: status line (`"200 OK"`), extra header lines, body.
pub type Answer = (String, Vec<String>, String);

/// How a [`Receiver`] answers a request.
pub type Responder = Arc<dyn Fn(&Request) -> Answer + Send + Sync>;

/// A local HTTP/1.1 server on a free port that records every request it gets.
pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The port.
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver answering with `respond`.
    pub async fn start(respond: Responder) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, respond) = (Arc::clone(&seen), Arc::clone(&respond));
                tokio::spawn(async move { serve(stream, &seen, &respond).await });
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}"),
            port,
            requests,
            task,
        }
    }

    /// A receiver that answers `200 OK` with an empty body.
    pub async fn ok() -> Receiver {
        Receiver::start(Arc::new(|_| {
            ("200 OK".to_owned(), Vec::new(), String::new())
        }))
        .await
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, seen: &Mutex<Vec<Request>>, respond: &Responder) {
    let mut data = Vec::new();
    let mut buffer = [0u8; 8192];
    let (head, length) = loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            data.drain(..end + 4);
            break (head, length);
        }
    };
    while data.len() < length {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
    }
    let mut words = head.split_whitespace();
    let request = Request {
        method: words.next().unwrap_or_default().to_owned(),
        target: words.next().unwrap_or_default().to_owned(),
        headers: head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| format!("{}: {}", name.trim().to_ascii_lowercase(), value.trim()))
            .collect(),
        body: String::from_utf8_lossy(&data).into_owned(),
    };
    let (status, headers, body) = respond(&request);
    seen.lock().unwrap().push(request);
    let mut answer = format!("HTTP/1.1 {status}\r\n");
    for line in headers {
        answer.push_str(&line);
        answer.push_str("\r\n");
    }
    answer.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A connection to `server` for requests written by hand.
pub async fn connect(server: &Server) -> TcpStream {
    let address = server.url.trim_start_matches("http://");
    TcpStream::connect(address).await.unwrap()
}

/// Reads what the server answers on `stream` until it closes the connection or `within`
/// passes; `None` when nothing came in time.
pub async fn answer_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    // A complete answer with a body whose length is declared.
                    if complete(&answer) {
                        return;
                    }
                }
            }
        }
    })
    .await;
    if read.is_err() && answer.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// Whether `answer` holds a whole response (its head and the body it declares).
fn complete(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    length.is_some_and(|length| answer.len() >= end + 4 + length)
}

/// The status code of a raw answer (`HTTP/1.1 413 …` → 413).
pub fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

/// A plan for [`FLAG`] that needs no approval, analysed every second with `checks`
/// (value checks) against `prometheus_url` (the server's default when `None`).
pub fn analysed_plan(prometheus_url: Option<&str>, checks: &[&str]) -> Value {
    let checks: Vec<Value> = checks
        .iter()
        .map(|query| json!({ "name": query.replace('_', "-"), "kind": "value", "query": query, "max": 1.0 }))
        .collect();
    let mut analysis = json!({
        "interval": "1s", "min_samples": 5, "max_consecutive_errors": 100, "checks": checks
    });
    if let Some(url) = prometheus_url {
        analysis["prometheus_url"] = json!(url);
    }
    json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": FLAG, "variant": "on" } ],
        "stages": [ { "audience": "general", "percent": 30 }, { "audience": "general", "percent": 100 } ],
        "approvals_required": 0,
        "analysis": analysis
    })
}

/// Creates `plan`, submits and starts it; returns the release id.
pub async fn start_release(server: &Server, plan: Value) -> String {
    let created = server
        .admin(Method::POST, "/api/v1/releases", Some(plan))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/api/v1/releases/{id}/{action}");
    let submitted = server
        .admin(Method::POST, &path("submit"), Some(json!({})))
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::OK,
        "submit: {:?}",
        submitted.body
    );
    let mut started = server
        .admin(Method::POST, &path("start"), Some(json!({})))
        .await;
    if started.status == StatusCode::CONFLICT {
        // A Prometheus these tests make fail fails the preflight too: go ahead anyway,
        // as an operator who read the warnings would.
        let codes: Vec<Value> = started.body["warnings"]
            .as_array()
            .map(|w| w.iter().map(|w| w["code"].clone()).collect())
            .unwrap_or_default();
        started = server
            .admin(
                Method::POST,
                &path("start"),
                Some(json!({ "acknowledge": codes })),
            )
            .await;
    }
    assert_eq!(started.status, StatusCode::OK, "start: {:?}", started.body);
    id
}

/// Waits until the text of release `id` (as the API shows it) satisfies `done`.
pub async fn release_until(
    server: &Server,
    id: &str,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    wait::until(Duration::from_secs(30), what, || async {
        let reply = server
            .admin(Method::GET, &format!("/api/v1/releases/{id}"), None)
            .await;
        let text = reply.body.to_string();
        wait::holds(done(&text), || text.clone()).map(|()| text.clone())
    })
    .await
}

/// `(name, value)` for a server setting given as an environment variable.
pub fn setting(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}
