//! One keep-alive HTTP/1.1 connection (hyper's client connection, no pool): requests go
//! out one at a time and each response body is read to the end before the next request.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request prepared once and sent many times.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// `GET`, `POST`, `PUT`, …
    pub method: Method,
    /// Path and query, e.g. `/ofrep/v1/evaluate/flags/checkout`.
    pub path: String,
    /// Headers besides `Host` and `Content-Type` (which [`Prepared::build`] adds).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body; a non-empty one is sent as `application/json`.
    pub body: Bytes,
}

impl Prepared {
    /// A request without headers or body.
    pub fn new(method: Method, path: impl Into<String>) -> Prepared {
        Prepared {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header; a value that is not a valid header value is left out.
    pub fn header(mut self, name: HeaderName, value: &str) -> Prepared {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: impl Into<Bytes>) -> Prepared {
        self.body = body.into();
        self
    }

    /// The request as hyper sends it to `host`.
    pub fn build(&self, host: &HeaderValue) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(HOST, host.clone());
        if !self.body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value.clone());
        }
        builder.body(Full::new(self.body.clone()))
    }
}

/// A response read to the end.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Why a request got no response.
#[derive(Debug)]
pub enum Failure {
    /// The TCP connection or the HTTP handshake failed.
    Connect(std::io::Error),
    /// The request could not be written or the response not read.
    Exchange(hyper::Error),
    /// The request could not be built (a bad path or header).
    Build(hyper::http::Error),
}

impl Failure {
    /// A short, stable name for counting failures by kind.
    pub fn kind(&self) -> String {
        match self {
            Failure::Connect(e) => format!("connect: {}", e.kind()),
            Failure::Exchange(e) if e.is_timeout() => "timeout".to_owned(),
            Failure::Exchange(e) if e.is_incomplete_message() => "connection closed".to_owned(),
            Failure::Exchange(e) if e.is_closed() || e.is_canceled() => {
                "connection closed".to_owned()
            }
            Failure::Exchange(e) if e.is_parse() => "bad response".to_owned(),
            Failure::Exchange(_) => "i/o".to_owned(),
            Failure::Build(_) => "bad request".to_owned(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Connect(e) => write!(f, "cannot connect: {e}"),
            Failure::Exchange(e) => write!(f, "request failed: {e}"),
            Failure::Build(e) => write!(f, "cannot build the request: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

/// An open connection to one server.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
}

impl Connection {
    /// Connects (TCP with `TCP_NODELAY`, then the HTTP/1.1 handshake). The connection's
    /// driver runs as a task on the current runtime and ends when the connection drops.
    pub async fn open(address: SocketAddr) -> Result<Connection, Failure> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(Failure::Connect)?;
        stream.set_nodelay(true).map_err(Failure::Connect)?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::Connect(std::io::Error::other(e)))?;
        tokio::spawn(driver);
        let host = HeaderValue::from_str(&address.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("localhost"));
        Ok(Connection { sender, host })
    }

    /// Sends `request` and reads the whole response.
    pub async fn send(&mut self, request: &Prepared) -> Result<Answer, Failure> {
        let request = request.build(&self.host).map_err(Failure::Build)?;
        self.sender.ready().await.map_err(Failure::Exchange)?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(Failure::Exchange)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(Failure::Exchange)?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// Sends one request on a fresh connection.
pub async fn request_once(address: SocketAddr, request: &Prepared) -> Result<Answer, Failure> {
    Connection::open(address).await?.send(request).await
}
