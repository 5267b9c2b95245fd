//! Configuring and starting a [`Client`]: where the server is, how to sync (streaming by
//! default, polling, or offline from a bootstrap file), timeouts, reconnection backoff
//! and the exposure report interval.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::Error;
use crate::client::{Client, Inner};
use crate::ruleset::{Documents, Ruleset};
use crate::shared::Shared;
use crate::status::Status;
use crate::sync::{self, Connection, Reporter};

/// How the client keeps its ruleset current.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Server-Sent Events: every change arrives as it happens (the default).
    Streaming,
    /// `GET /sdk/v1/ruleset` every `interval` with `If-None-Match` (for networks that
    /// do not let long-lived responses through).
    Polling {
        /// Time between polls.
        interval: Duration,
    },
    /// No server: the ruleset JSON in this file (as `GET /sdk/v1/ruleset` returns it).
    Offline {
        /// The bootstrap file.
        bootstrap: PathBuf,
    },
}

/// Reconnection backoff: exponential from `initial` to `max`, with full jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay's upper bound.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay before attempt `attempt` (0-based): uniform in `[0, min(max, initial·2ⁿ)]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.min(20)))
            .min(self.max);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Everything a client is configured with.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) base_url: String,
    pub(crate) sdk_key: String,
    pub(crate) mode: Mode,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) ready_timeout: Duration,
    pub(crate) stream_idle_timeout: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) exposure_interval: Option<Duration>,
}

/// Builds a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    options: Options,
}

impl ClientBuilder {
    pub(crate) fn new(base_url: String, sdk_key: String) -> ClientBuilder {
        ClientBuilder {
            options: Options {
                base_url: base_url.trim_end_matches('/').to_owned(),
                sdk_key,
                mode: Mode::Streaming,
                connect_timeout: Duration::from_secs(5),
                request_timeout: Duration::from_secs(10),
                ready_timeout: Duration::from_secs(10),
                stream_idle_timeout: Duration::from_secs(60),
                backoff: Backoff {
                    initial: Duration::from_millis(500),
                    max: Duration::from_secs(30),
                },
                exposure_interval: Some(Duration::from_secs(60)),
            },
        }
    }

    /// Poll the ruleset every `interval` instead of streaming.
    pub fn polling(mut self, interval: Duration) -> ClientBuilder {
        self.options.mode = Mode::Polling { interval };
        self
    }

    /// Serve the ruleset in `bootstrap` and never contact the server.
    pub fn offline(mut self, bootstrap: impl Into<PathBuf>) -> ClientBuilder {
        self.options.mode = Mode::Offline {
            bootstrap: bootstrap.into(),
        };
        self
    }

    /// Time allowed to open a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.options.connect_timeout = timeout;
        self
    }

    /// Time allowed for a ruleset download or exposure report (default 10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.options.request_timeout = timeout;
        self
    }

    /// How long [`ClientBuilder::build`] waits for the first ruleset (default 10 s).
    pub fn ready_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.options.ready_timeout = timeout;
        self
    }

    /// A stream silent this long (no event, no heartbeat) is reconnected (default 60 s;
    /// keep it above the server's `stream.heartbeat_interval`).
    pub fn stream_idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.options.stream_idle_timeout = timeout;
        self
    }

    /// Reconnection backoff (default 0.5 s doubling to 30 s, with jitter).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> ClientBuilder {
        self.options.backoff = Backoff { initial, max };
        self
    }

    /// How often exposures are reported in the background (default 60 s); with `None`
    /// they are reported only by [`Client::flush`] and [`Client::close`].
    pub fn exposure_interval(mut self, interval: Option<Duration>) -> ClientBuilder {
        self.options.exposure_interval = interval;
        self
    }

    /// Starts the client and returns once the first ruleset is served; fails when the
    /// server refuses the key, or with [`Error::Timeout`] (naming the last error) after
    /// the ready timeout. Needs a Tokio runtime.
    pub async fn build(self) -> Result<Client, Error> {
        let waited = self.options.ready_timeout;
        let client = self.build_background()?;
        let ready = client
            .wait_for_status(waited, |s| matches!(s, Status::Ready | Status::Failed(_)))
            .await;
        match client.status() {
            Status::Ready => Ok(client),
            Status::Failed(message) => Err(Error::Rejected(message)),
            _ => {
                debug_assert!(!ready);
                Err(Error::Timeout {
                    waited,
                    last_error: client.inner.shared.last_error(),
                })
            }
        }
    }

    /// Starts the client and returns at once; getters answer `NotReady` until the first
    /// ruleset arrives (watch [`Client::status`] or [`Client::events`]). Fails only on a
    /// configuration error (or an unreadable bootstrap file, offline). Needs a Tokio
    /// runtime.
    pub fn build_background(self) -> Result<Client, Error> {
        let options = self.options;
        let shared = Arc::new(Shared::new());
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut report = None;
        match &options.mode {
            Mode::Offline { bootstrap } => {
                let ruleset = read_bootstrap(bootstrap)?;
                shared.install(&Documents::from_ruleset(ruleset), Vec::new());
            }
            Mode::Streaming | Mode::Polling { .. } => {
                let connection = Connection::new(&options)?;
                tasks.push(tokio::spawn(sync::run(
                    options.clone(),
                    connection.clone(),
                    Arc::clone(&shared),
                    stopped.clone(),
                )));
                let reporter = Reporter::new(connection);
                if let Some(interval) = options.exposure_interval {
                    tasks.push(tokio::spawn(reporter.clone().run(
                        interval,
                        Arc::clone(&shared),
                        stopped,
                    )));
                }
                report = Some(reporter);
            }
        }
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                stop,
                tasks: Mutex::new(tasks),
                report,
            }),
        })
    }
}

fn read_bootstrap(path: &std::path::Path) -> Result<Ruleset, Error> {
    let failed = |reason: String| Error::Bootstrap {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| failed(format!("not a ruleset: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_and_stays_under_it() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for attempt in 0..40 {
            let ceiling = Duration::from_millis(100 * 2u64.pow(attempt.min(10))).min(backoff.max);
            for _ in 0..50 {
                assert!(backoff.delay(attempt) <= ceiling);
            }
        }
        let late: Vec<Duration> = (0..200).map(|_| backoff.delay(30)).collect();
        assert!(
            late.iter().any(|d| *d > Duration::from_millis(500)),
            "jitter spans the range"
        );
        assert!(late.iter().any(|d| *d < Duration::from_millis(500)));
    }
}
