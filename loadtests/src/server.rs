//! A `rollgate serve` process for a scenario: a fresh data directory, a free loopback
//! port, an admin token, settings from the scenario; killed when dropped. Also reads the
//! process's memory from `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The admin token scenario servers start with.
pub const ADMIN_TOKEN: &str = "loadtest-bootstrap-admin-token";

/// A running server.
pub struct Spawned {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _data: tempfile::TempDir,
    http: reqwest::Client,
}

/// The binary to run: `$ROLLGATE_BIN`, else `target/release/rollgate`.
pub fn binary() -> PathBuf {
    std::env::var_os("ROLLGATE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/rollgate"))
}

impl Spawned {
    /// Starts `binary` with extra `ROLLGATE_*` settings.
    pub async fn start(binary: &Path, settings: &[(&str, &str)]) -> anyhow::Result<Spawned> {
        let data = tempfile::tempdir()?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .env("ROLLGATE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("ROLLGATE_LOG__LEVEL", "warn")
            // `ROLLGATE_BIN` names the binary for the load tests; the server would read
            // it as a setting (`bin`) and refuse to start.
            .env_remove("ROLLGATE_BIN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (name, value) in settings {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("rollgate listening on ") {
                    return Ok(url.trim().to_owned());
                }
            }
            bail!("rollgate exited before listening")
        })
        .await
        .context("rollgate did not start in 30 s")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Spawned {
            child,
            url,
            _data: data,
            http: reqwest::Client::new(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// `(VmRSS, VmHWM)` in KiB.
    pub fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        Ok((field("VmRSS:"), field("VmHWM:")))
    }

    /// CPU time the process has used (user + system), from `/proc/<pid>/stat`.
    pub fn cpu_time(&self) -> anyhow::Result<std::time::Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the command name (which is in parentheses and may hold spaces).
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after `) S`.
        let ticks = fields.get(10).copied().unwrap_or(0) + fields.get(11).copied().unwrap_or(0);
        Ok(std::time::Duration::from_millis(ticks * 10))
    }

    /// An admin request with a JSON body; returns status and body.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        if_match: Option<u64>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Authorization", format!("Bearer {ADMIN_TOKEN}"));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        if let Some(version) = if_match {
            request = request.header("If-Match", format!("\"{version}\""));
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        ))
    }
}
