//! The harness of the black-box tests: starts the real `rollgate` binary on a free port
//! with a temporary data directory, and talks to it over HTTP.
//!
//! The binary is the one `scripts/test` builds (`target/debug/rollgate`, or
//! `$ROLLGATE_BIN`). The harness refuses a binary older than the sources, so a test
//! never passes against stale code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: failing loudly is the point"
)]

pub mod admin;
mod binaries;
pub mod chromium;
pub mod examples;
pub mod openapi;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The admin token every test server starts with (`ROLLGATE_ADMIN_TOKEN`).
pub const ADMIN_TOKEN: &str = "e2e-bootstrap-admin-token";

/// How long a server gets to print its address, and then to answer `/readyz` with 200.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A free port on 127.0.0.1 (free when asked; a test binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start a server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Extra command-line arguments after `serve`.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Leave out `ROLLGATE_ADMIN_TOKEN`.
    pub no_admin_token: bool,
    /// Collect stderr (the logs) instead of passing it through; see [`Server::stderr`].
    pub capture_stderr: bool,
    /// Listen on this port of 127.0.0.1 instead of a free one the server picks, so a
    /// test can reach a server that is not ready yet (its address is only printed once
    /// it is).
    pub port: Option<u16>,
}

/// A running `rollgate serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Lines the server printed on stdout before it was ready (demo credentials …).
    pub banner: Vec<String>,
    /// Every stdout line after the address, as it arrives.
    stdout: Lines,
    /// Every stderr line, when [`Options::capture_stderr`] is set.
    stderr: Option<Lines>,
    data: DataDir,
    http: reqwest::Client,
}

/// Output lines collected by a background task.
type Lines = Arc<Mutex<Vec<String>>>;

fn collect_lines(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Lines {
    let lines = Lines::default();
    let sink = Arc::clone(&lines);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

enum DataDir {
    Owned(tempfile::TempDir),
    Borrowed(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Owned(dir) => dir.path(),
            DataDir::Borrowed(path) => path,
        }
    }
}

impl Server {
    /// Starts a server with a fresh data directory.
    pub async fn start() -> Server {
        Server::start_with(Options::default()).await
    }

    /// Starts a server with options and a fresh data directory.
    pub async fn start_with(options: Options) -> Server {
        Server::launch(DataDir::Owned(tempfile::tempdir().unwrap()), options).await
    }

    /// Starts a server on an existing data directory (e.g. after a crash).
    pub async fn start_in(dir: &Path, options: Options) -> Server {
        Server::launch(DataDir::Borrowed(dir.to_path_buf()), options).await
    }

    async fn launch(data: DataDir, options: Options) -> Server {
        let mut command = Command::new(binary());
        command
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{}", options.port.unwrap_or(0)))
            .arg("--data-dir")
            .arg(data.path())
            .args(&options.args)
            .env_remove("ROLLGATE_ADMIN_TOKEN")
            .env("ROLLGATE_LOG__LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if options.capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .kill_on_drop(true);
        if !options.no_admin_token {
            command.env("ROLLGATE_ADMIN_TOKEN", ADMIN_TOKEN);
        }
        for (name, value) in &options.env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start rollgate");
        let stderr = child.stderr.take().map(collect_lines);
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        let url = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("rollgate listening on ") {
                    return url.trim().to_owned();
                }
                banner.push(line);
            }
            panic!("rollgate exited before listening; banner: {banner:?}");
        })
        .await
        .expect("rollgate did not start in time");
        // Keep draining stdout (demo credentials follow the address) so the child never
        // blocks on a full pipe.
        let stdout = Lines::default();
        let (banner_tx, mut banner_rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = Arc::clone(&stdout);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line.clone());
                let _ = banner_tx.send(line);
            }
        });
        let http = client();
        let mut server = Server {
            child,
            url,
            banner,
            stdout,
            stderr,
            data,
            http,
        };
        server.wait_ready().await;
        while let Ok(line) = banner_rx.try_recv() {
            server.banner.push(line);
        }
        server
    }

    async fn wait_ready(&self) {
        let what = format!("{} to answer /readyz with 200", self.url);
        wait::until(START_TIMEOUT, &what, || async {
            match self.http.get(format!("{}/readyz", self.url)).send().await {
                Ok(response) if response.status() == StatusCode::OK => Ok(()),
                Ok(response) => Err(format!("{}", response.status())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
    }

    /// The value after `label` on the first line printed (banner or later stdout) that
    /// starts with it: the demo's credentials (`admin token:`, `SDK key (production):`).
    pub fn printed(&self, label: &str) -> Option<String> {
        self.banner
            .iter()
            .chain(self.stdout().iter())
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .map(str::to_owned)
    }

    /// Every stdout line printed after the address so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// Every stderr line so far; panics unless the server was started with
    /// [`Options::capture_stderr`].
    pub fn stderr(&self) -> Vec<String> {
        let lines = self
            .stderr
            .as_ref()
            .expect("start the server with Options { capture_stderr: true, .. }");
        lines.lock().unwrap().clone()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Sends SIGKILL and waits for the process to end.
    pub async fn kill(mut self) -> PathBuf {
        self.child.kill().await.unwrap();
        self.keep_data()
    }

    /// Sends SIGTERM and waits for a graceful exit; returns the exit status.
    pub async fn terminate(self) -> std::process::ExitStatus {
        let Server {
            mut child,
            http,
            data,
            ..
        } = self;
        // Our idle keep-alive connections would hold the graceful shutdown until they
        // time out; close them first.
        drop(http);
        send_signal(child.id().unwrap(), nix::sys::signal::Signal::SIGTERM);
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .expect("graceful exit")
            .unwrap();
        drop(data);
        status
    }

    /// Sends SIGTERM without waiting.
    pub fn signal_terminate(&self) {
        send_signal(self.child.id().unwrap(), nix::sys::signal::Signal::SIGTERM);
    }

    /// Waits for the process to exit.
    pub async fn wait(&mut self) -> std::process::ExitStatus {
        // Our idle keep-alive connections would hold a graceful shutdown until they
        // time out; a fresh client drops them.
        self.http = client();
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("exit in time")
            .unwrap()
    }

    fn keep_data(self) -> PathBuf {
        match &self.data {
            DataDir::Owned(_) => {
                let Server { data, .. } = self;
                match data {
                    DataDir::Owned(dir) => dir.keep(),
                    DataDir::Borrowed(path) => path,
                }
            }
            DataDir::Borrowed(path) => path.clone(),
        }
    }

    /// An HTTP request to the server with a bearer token (or none).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Sends a request and returns status, headers and the JSON body (`Null` if none).
    pub async fn call(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `method path` as the bootstrap admin, with an optional JSON body.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.request(method, path, Some(ADMIN_TOKEN));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.call(request).await
    }

    /// Issues a token as the bootstrap admin and returns the secret.
    pub async fn issue_token(&self, body: Value) -> String {
        let reply = self.admin(Method::POST, "/api/v1/tokens", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// An SDK key for `environment`.
    pub async fn sdk_key(&self, environment: &str) -> String {
        self.issue_token(serde_json::json!({ "kind": "sdk", "name": format!("e2e-{environment}"), "environment": environment }))
            .await
    }

    /// An admin token with `role`.
    pub async fn admin_token(&self, role: &str) -> String {
        self.issue_token(
            serde_json::json!({ "kind": "admin", "name": format!("e2e-{role}"), "role": role }),
        )
        .await
    }

    /// OFREP single evaluation.
    pub async fn evaluate(&self, sdk_key: &str, flag: &str, context: Value) -> Reply {
        let request = self
            .request(
                Method::POST,
                &format!("/ofrep/v1/evaluate/flags/{flag}"),
                Some(sdk_key),
            )
            .json(&serde_json::json!({ "context": context }));
        self.call(request).await
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// The HTTP client of a [`Server`].
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .build()
        .unwrap()
}

fn send_signal(pid: u32, signal: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap());
    nix::sys::signal::kill(pid, signal)
        .unwrap_or_else(|e| panic!("kill({pid}, {signal}) failed: {e}"));
}

/// A response: status, headers, JSON body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` when empty, a string when not JSON).
    pub body: Value,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub mod exposition;
pub mod ofrep;
pub mod prometheus_stub;
pub mod redis;
pub mod tools;
pub mod wait;

pub use binaries::{binary, built, workspace};
