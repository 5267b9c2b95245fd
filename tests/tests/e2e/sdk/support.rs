//! Shared by the SDK tests: a server tuned for fast streams, SDK clients with short
//! backoffs, flag writes through the admin API, a raw SSE reader, and a TCP proxy that
//! can cut connections or stand in for a server that is down.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, wait};
use rollgate_sdk::sse::{Decoder, Event};
use rollgate_sdk::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// How long any awaited condition may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Server options with a short heartbeat (and `extra` environment variables).
pub fn fast_options(extra: &[(&str, &str)]) -> Options {
    let mut env = vec![(
        "ROLLGATE_STREAM__HEARTBEAT_INTERVAL".to_owned(),
        "200ms".to_owned(),
    )];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Options {
        env,
        ..Options::default()
    }
}

/// A server with a short heartbeat.
pub async fn fast_server() -> Server {
    Server::start_with(fast_options(&[])).await
}

/// A client builder with short backoffs and timeouts, against `url`.
pub fn sdk(url: &str, key: &str) -> ClientBuilder {
    Client::builder(url, key)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .stream_idle_timeout(Duration::from_secs(3))
        .request_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(1))
        .ready_timeout(DEADLINE)
}

/// A boolean flag serving `production` (enabled, fixed `variant`) and `development`.
pub fn bool_flag(key: &str, production: &str, development: &str) -> Value {
    json!({
        "key": key, "variants": { "on": true, "off": false },
        "environments": {
            "production": { "enabled": true, "off_variant": "off", "default": { "variant": production } },
            "development": { "enabled": true, "off_variant": "off", "default": { "variant": development } }
        }
    })
}

/// Creates or replaces flag `doc` and returns the revision the server serves after it.
pub async fn put_flag(server: &Server, doc: Value) -> u64 {
    let key = doc["key"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/flags/{key}");
    let current = server.admin(Method::GET, &path, None).await;
    let mut request = server
        .request(Method::PUT, &path, Some(rollgate_e2e::ADMIN_TOKEN))
        .json(&doc);
    if current.status == StatusCode::OK {
        request = request.header("If-Match", format!("\"{}\"", current.body["version"]));
    }
    let reply = server.call(request).await;
    assert!(reply.status.is_success(), "PUT {path}: {:?}", reply.body);
    served_revision(server).await
}

/// Deletes a flag and returns the revision served after it.
pub async fn delete_flag(server: &Server, key: &str) -> u64 {
    let path = format!("/api/v1/flags/{key}");
    let current = server.admin(Method::GET, &path, None).await;
    let request = server
        .request(Method::DELETE, &path, Some(rollgate_e2e::ADMIN_TOKEN))
        .header("If-Match", format!("\"{}\"", current.body["version"]));
    let reply = server.call(request).await;
    assert!(reply.status.is_success(), "DELETE {path}: {:?}", reply.body);
    served_revision(server).await
}

/// The revision the server's snapshots reflect.
pub async fn served_revision(server: &Server) -> u64 {
    let reply = server
        .call(server.request(Method::GET, "/readyz", None))
        .await;
    reply.body["served_revision"].as_u64().unwrap()
}

/// A metric's value from `/metrics` (0 when absent).
pub async fn metric(server: &Server, name: &str) -> f64 {
    server
        .metrics()
        .await
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Waits until `check` holds on the server's metrics.
pub async fn wait_for_metric(server: &Server, name: &str, check: impl Fn(f64) -> bool) -> f64 {
    wait::until(
        DEADLINE,
        &format!("a value of {name} that passes"),
        || async {
            let value = metric(server, name).await;
            if check(value) {
                Ok(value)
            } else {
                Err(format!("{name} {value}"))
            }
        },
    )
    .await
}

/// A raw SSE connection, read event by event.
pub struct RawStream {
    response: reqwest::Response,
    decoder: Decoder,
    ready: VecDeque<Event>,
}

impl RawStream {
    /// Opens `path` with `headers`; asserts a `200 text/event-stream`.
    pub async fn open(
        server: &Server,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
    ) -> RawStream {
        let mut request = server.request(Method::GET, path, key);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        RawStream {
            response,
            decoder: Decoder::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next event, or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            let chunk = tokio::time::timeout(DEADLINE, self.response.chunk())
                .await
                .expect("an event in time")
                .ok()??;
            self.ready.extend(self.decoder.feed(&chunk));
        }
    }

    /// Heartbeat comments seen so far.
    pub fn heartbeats(&self) -> u64 {
        self.decoder.comments()
    }

    /// Reads until `count` more heartbeats passed with no event; returns any event seen.
    pub async fn quiet_for_heartbeats(&mut self, count: u64) -> Option<Event> {
        let target = self.heartbeats() + count;
        while self.heartbeats() < target {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            let chunk = tokio::time::timeout(DEADLINE, self.response.chunk())
                .await
                .expect("heartbeats in time")
                .ok()??;
            self.ready.extend(self.decoder.feed(&chunk));
        }
        self.ready.pop_front()
    }
}

/// A TCP proxy in front of a server: the SDK talks to it, so a test can cut every
/// connection, refuse new ones (the server looks down) and point it at a restarted
/// server on another port.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    target: Arc<Mutex<SocketAddr>>,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    /// A proxy to `server_url`.
    pub async fn start(server_url: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = Arc::new(Mutex::new(address(server_url)));
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = {
            let (target, up, connections) = (target.clone(), up.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let to = *target.lock().unwrap();
                    let task = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(to).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    connections.lock().unwrap().push(task.abort_handle());
                }
            })
            .abort_handle()
        };
        Proxy {
            url,
            target,
            up,
            connections,
            accept,
        }
    }

    /// Closes every open connection (the SDK sees its stream break).
    pub fn cut(&self) {
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Refuses (`false`) or forwards (`true`) new connections.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Forwards new connections to `server_url`.
    pub fn retarget(&self, server_url: &str) {
        *self.target.lock().unwrap() = address(server_url);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

fn address(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}
