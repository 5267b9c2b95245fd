//! A real `redis-server` (Debian's, from `RG_E2E_REDIS_SERVER`) for one test: a free
//! port, a temporary directory, and the settings under which Rollgate's promise holds —
//! `appendonly yes`, `appendfsync always`, `maxmemory-policy noeviction`, no RDB
//! snapshots. It can be killed with SIGKILL and started again on the same port and
//! directory, where it reloads its append-only file. It is killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{tools, wait};

/// How long Redis gets to answer `PING` after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running (or killed) `redis-server`.
pub struct RedisServer {
    binary: PathBuf,
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a durable Redis on a free port.
    pub async fn start() -> RedisServer {
        RedisServer::start_binary(tools::redis_server()).await
    }

    /// [`RedisServer::start`] with the `redis-server` at `binary`.
    pub async fn start_binary(binary: PathBuf) -> RedisServer {
        let port = crate::free_port();
        let mut server = RedisServer {
            binary,
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
        };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Its data directory (the append-only file lives in `appendonlydir/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Whether the process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills it with SIGKILL: no chance to write anything more.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts it (again) on the same port and directory, and waits until it answers
    /// `PING` — after reloading its append-only file.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let child = Command::new(&self.binary)
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--maxmemory-policy",
                "noeviction",
                "--protected-mode",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let port = self.port;
        wait::until(START_TIMEOUT, "redis-server to answer PING", || ping(port)).await;
    }

    /// Sends one command (inline syntax) and returns the raw reply.
    pub async fn command(&self, command: &str) -> Result<String, String> {
        send(self.port, command).await
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn ping(port: u16) -> Result<(), String> {
    let reply = send(port, "PING").await?;
    if reply.starts_with("+PONG") {
        Ok(())
    } else {
        Err(reply)
    }
}

async fn send(port: u16, command: &str) -> Result<String, String> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut reply = vec![0u8; 64 << 10];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut reply))
        .await
        .map_err(|_| "no reply within 5 s".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&reply[..read]).into_owned())
}
