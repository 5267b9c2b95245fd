//! Propagation: N raw SSE clients on `GET /sdk/v1/stream`, one flag change through the
//! admin API, and the time until every client has received and parsed it (the target:
//! p99 ≤ 50 ms with 1 000 and 10 000 clients), plus the server's memory with N streams
//! open (≤ 256 MB with 10 000).
//!
//! The clients are plain TCP connections speaking HTTP/1.1 (no SDK, so the client side
//! stays cheap): each reads its response's chunked body, decodes SSE with
//! `rollgate_sdk::sse`, and records when a `change` event arrives. The clock starts just
//! before the admin `PUT` is sent; a latency is the time from there to the moment a
//! client parsed the event. Everything runs on loopback and is bounded in time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use reqwest::Method;
use rollgate_sdk::sse::Decoder;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};

use crate::server::Spawned;

/// What to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Connected stream clients.
    pub clients: usize,
    /// Flag changes to measure, one after the other.
    pub changes: usize,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
    /// Longest wait for anything (connecting, one change reaching everyone).
    pub timeout: Duration,
}

/// The measurements of one change.
#[derive(Clone, Debug)]
pub struct Propagation {
    /// The change's revision.
    pub revision: u64,
    /// Time the admin write took until its `2xx`.
    pub write: Duration,
    /// Latency percentiles over all clients.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest client.
    pub max: Duration,
    /// Server CPU time (user + system) from the write until every client had it
    /// (10 ms resolution).
    pub server_cpu: Duration,
}

/// The measurements of a scenario.
#[derive(Clone, Debug)]
pub struct Report {
    /// Clients connected.
    pub clients: usize,
    /// Time to open every stream and receive its ruleset.
    pub connect: Duration,
    /// Server RSS before the streams opened, KiB.
    pub rss_idle_kib: u64,
    /// Server RSS with every stream open, after the changes, KiB.
    pub rss_streams_kib: u64,
    /// Server peak RSS (VmHWM), KiB.
    pub rss_peak_kib: u64,
    /// One entry per change.
    pub changes: Vec<Propagation>,
}

/// A parsed `change` event: (revision, when it was parsed).
type Seen = (u64, Instant);

/// Runs the scenario against `server` (which must allow `clients` streams per key).
pub async fn run(server: &Spawned, scenario: &Scenario) -> anyhow::Result<Report> {
    run_across(server, server, scenario).await
}

/// Runs the scenario with the streams on `server` and the writes through `writer` —
/// another replica on the same Redis, to measure propagation across replicas. The
/// memory and CPU figures are `server`'s.
pub async fn run_across(
    writer: &Spawned,
    server: &Spawned,
    scenario: &Scenario,
) -> anyhow::Result<Report> {
    let (status, token) = writer
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(&json!({ "kind": "sdk", "environment": "production", "name": "propagation" })),
            None,
        )
        .await?;
    if status != 201 {
        bail!("cannot issue an SDK key: {status} {token}");
    }
    let key = token["token"].as_str().context("no token")?.to_owned();
    let mut version = put_flag(writer, "propagation", 0, None).await?.1;
    served_everywhere(writer, server, scenario.timeout).await?;
    let (rss_idle_kib, _) = server.memory_kib()?;

    let address = server.url.trim_start_matches("http://").to_owned();
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<Seen>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let gate = Arc::new(Semaphore::new(scenario.connect_concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(scenario.clients);
    for _ in 0..scenario.clients {
        let (address, key, gate) = (address.clone(), key.clone(), gate.clone());
        let (seen, ready) = (seen_tx.clone(), ready_tx.clone());
        tasks.push(tokio::spawn(async move {
            let stream = {
                let _permit = gate.acquire().await;
                open(&address, &key).await
            };
            match stream {
                Ok(stream) => listen(stream, ready, seen).await,
                Err(error) => eprintln!("client failed to connect: {error}"),
            }
        }));
    }
    drop((seen_tx, ready_tx));
    let mut connected = 0;
    while connected < scenario.clients {
        tokio::time::timeout(scenario.timeout, ready_rx.recv())
            .await
            .with_context(|| format!("only {connected} of {} streams opened", scenario.clients))?
            .context("clients gave up")?;
        connected += 1;
    }
    let connect = started.elapsed();

    let mut changes = Vec::with_capacity(scenario.changes);
    for round in 1..=scenario.changes {
        let cpu_before = server.cpu_time()?;
        let sent = Instant::now();
        let (write, new_version) = put_flag(writer, "propagation", round, Some(version)).await?;
        version = new_version;
        let mut latencies = Vec::with_capacity(scenario.clients);
        let mut revision = 0;
        // One deadline for the whole change (not a timer per event: with 10 000 clients
        // the measuring task would otherwise arm and cancel 10 000 timers on the cores
        // the server needs).
        let collected = tokio::time::timeout(scenario.timeout, async {
            while latencies.len() < scenario.clients {
                let Some((got, at)) = seen_rx.recv().await else {
                    break;
                };
                revision = revision.max(got);
                latencies.push(at.saturating_duration_since(sent));
            }
        })
        .await;
        if collected.is_err() || latencies.len() < scenario.clients {
            bail!("change {round} reached {} clients only", latencies.len());
        }
        let server_cpu = server.cpu_time()?.saturating_sub(cpu_before);
        latencies.sort();
        let at = |q: f64| {
            latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
        };
        changes.push(Propagation {
            revision,
            write,
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
            server_cpu,
        });
    }
    let (rss_streams_kib, rss_peak_kib) = server.memory_kib()?;
    for task in tasks {
        task.abort();
    }
    Ok(Report {
        clients: scenario.clients,
        connect,
        rss_idle_kib,
        rss_streams_kib,
        rss_peak_kib,
        changes,
    })
}

/// Waits until `server` serves what `writer` serves (the SDK key and the flag).
async fn served_everywhere(
    writer: &Spawned,
    server: &Spawned,
    timeout: Duration,
) -> anyhow::Result<()> {
    let revision = |replica: &Spawned| {
        let url = format!("{}/readyz", replica.url);
        async move {
            let text = reqwest::get(url).await?.text().await?;
            let body: serde_json::Value = serde_json::from_str(&text)?;
            body["served_revision"]
                .as_u64()
                .context("no served_revision")
        }
    };
    let target = revision(writer).await?;
    let deadline = Instant::now() + timeout;
    while revision(server).await? < target {
        if Instant::now() > deadline {
            bail!("the streams' replica did not catch up with the writer in {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Creates or replaces the measured flag (its default alternates with `round`); returns
/// the write's duration and the new version.
async fn put_flag(
    server: &Spawned,
    key: &str,
    round: usize,
    version: Option<u64>,
) -> anyhow::Result<(Duration, u64)> {
    let variant = if round.is_multiple_of(2) { "off" } else { "on" };
    let doc = json!({
        "key": key, "variants": { "on": true, "off": false },
        "environments": { "production": { "enabled": true, "off_variant": "off", "default": { "variant": variant } } }
    });
    let started = Instant::now();
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/flags/{key}"),
            Some(&doc),
            version,
        )
        .await?;
    let took = started.elapsed();
    if !(200..300).contains(&status) {
        bail!("PUT flag: {status} {body}");
    }
    Ok((took, body["version"].as_u64().context("no version")?))
}

/// Connects and sends the stream request.
async fn open(address: &str, key: &str) -> anyhow::Result<TcpStream> {
    let mut stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET /sdk/v1/stream HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    Ok(stream)
}

/// Reads one stream: says when its ruleset arrived, then reports every change event.
async fn listen(
    mut stream: TcpStream,
    ready: mpsc::UnboundedSender<()>,
    seen: mpsc::UnboundedSender<Seen>,
) {
    let mut buffer = vec![0u8; 16 << 10];
    let mut body = Dechunker::default();
    let mut decoder = Decoder::new();
    let mut in_body = false;
    let mut head = Vec::new();
    loop {
        let n = match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut bytes = &buffer[..n];
        if !in_body {
            head.extend_from_slice(bytes);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            if !head.starts_with(b"HTTP/1.1 200") {
                eprintln!("stream refused: {}", String::from_utf8_lossy(&head[..end]));
                return;
            }
            in_body = true;
            let rest = head.split_off(end + 4);
            body.feed(&rest);
            bytes = &[];
        }
        body.feed(bytes);
        let now = Instant::now();
        for event in decoder.feed(&body.take()) {
            match event.name.as_str() {
                "ruleset" => {
                    let _ = ready.send(());
                }
                "change" => {
                    let revision = event.id.and_then(|id| id.parse().ok()).unwrap_or(0);
                    let _ = seen.send((revision, now));
                }
                _ => {}
            }
        }
    }
}

/// Undoes HTTP/1.1 chunked transfer coding, incrementally.
#[derive(Debug, Default)]
struct Dechunker {
    pending: Vec<u8>,
    out: Vec<u8>,
    /// Bytes left in the current chunk's data (then its CRLF).
    remaining: usize,
}

impl Dechunker {
    fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            if self.remaining > 0 {
                let take = self.remaining.min(self.pending.len() - at);
                self.out.extend_from_slice(&self.pending[at..at + take]);
                self.remaining -= take;
                at += take;
                if self.remaining > 0 {
                    break;
                }
                // The chunk's trailing CRLF is consumed with the next size line.
            }
            let Some(line_end) = self.pending[at..].windows(2).position(|w| w == b"\r\n") else {
                break;
            };
            let line = &self.pending[at..at + line_end];
            at += line_end + 2;
            if line.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            let size =
                usize::from_str_radix(text.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
            self.remaining = size;
        }
        self.pending.drain(..at);
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_come_out_whole_however_they_are_split() {
        let wire = b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
        for split in 0..wire.len() {
            let mut dechunker = Dechunker::default();
            dechunker.feed(&wire[..split]);
            let mut out = dechunker.take();
            dechunker.feed(&wire[split..]);
            out.extend(dechunker.take());
            assert_eq!(out, b"hello, world", "split at {split}");
        }
    }
}
