//! The other origin of the browser tests: a tiny HTTP server on its own port that serves
//! the web SDK's test page and its bundle (set once Rollgate, which must know the page's
//! origin, has started and issued the page its key), and collects what the page reports (`POST
//! /report`, same origin as the page) with the time each report arrived. One request per
//! connection (`Connection: close`): a browser copes, and the server stays small.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A report of the page and when it arrived.
#[derive(Clone, Debug)]
pub struct Report {
    /// When the page's report reached this server.
    pub at: Instant,
    /// What the page sent: `{"event": "ready" | "changed" | "error", …}`.
    pub body: Value,
}

/// The page (`/`) and its script (`/page.js`).
type Content = Mutex<(String, Vec<u8>)>;

/// The page's origin, serving `/` and `/page.js` from memory.
pub struct PageServer {
    /// `http://127.0.0.1:PORT`, the page's origin.
    pub origin: String,
    content: Arc<Content>,
    reports: Arc<Mutex<Vec<Report>>>,
    task: tokio::task::AbortHandle,
}

impl PageServer {
    /// Listens, serving nothing yet (see [`PageServer::set`]).
    pub async fn start() -> PageServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let reports = Arc::new(Mutex::new(Vec::new()));
        let content: Arc<Content> = Arc::default();
        let source = Arc::clone(&content);
        let sink = Arc::clone(&reports);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let content = Arc::clone(&source);
                let sink = Arc::clone(&sink);
                tokio::spawn(async move { serve(stream, &content, &sink).await });
            }
        })
        .abort_handle();
        PageServer {
            origin,
            content,
            reports,
            task,
        }
    }

    /// Serves `html` at `/` and `script` at `/page.js` from now on.
    pub fn set(&self, html: String, script: Vec<u8>) {
        *self.content.lock().unwrap() = (html, script);
    }

    /// Every report so far.
    pub fn reports(&self) -> Vec<Report> {
        self.reports.lock().unwrap().clone()
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: TcpStream, content: &Content, reports: &Mutex<Vec<Report>>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await.is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, kind, payload): (&str, &str, Vec<u8>) = match (method, target) {
        ("GET", "/") => {
            let html = content.lock().unwrap().0.clone().into_bytes();
            ("200 OK", "text/html; charset=utf-8", html)
        }
        ("GET", "/page.js") => {
            let script = content.lock().unwrap().1.clone();
            ("200 OK", "text/javascript", script)
        }
        ("POST", "/report") => {
            let body = serde_json::from_slice(&body)
                .unwrap_or(Value::String(String::from_utf8_lossy(&body).into_owned()));
            reports.lock().unwrap().push(Report {
                at: Instant::now(),
                body,
            });
            ("204 No Content", "text/plain", Vec::new())
        }
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    let mut stream = reader.into_inner();
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&payload).await;
    let _ = stream.shutdown().await;
}
