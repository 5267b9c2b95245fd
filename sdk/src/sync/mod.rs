//! Keeping the ruleset current in the background: the stream (default) or polling,
//! with reconnection backoff; and the exposure reporter. Everything here runs in tasks
//! that [`crate::ClientBuilder`] spawns and [`crate::Client::close`] stops.

mod poll;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use rollgate_core::protocol::exposure::Report;
use tokio::sync::watch;

use crate::Error;
use crate::builder::{Mode, Options};
use crate::shared::Shared;

/// HTTP access to the server with the SDK key.
#[derive(Clone, Debug)]
pub(crate) struct Connection {
    http: reqwest::Client,
    base_url: String,
    authorization: HeaderValue,
    request_timeout: Duration,
}

impl Connection {
    pub(crate) fn new(options: &Options) -> Result<Connection, Error> {
        if !(options.base_url.starts_with("http://") || options.base_url.starts_with("https://")) {
            return Err(Error::InvalidConfig(format!(
                "the base URL must start with http:// or https://, got {:?}",
                options.base_url
            )));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", options.sdk_key))
            .map_err(|_| Error::InvalidConfig("the SDK key is not a valid header value".into()))?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::InvalidConfig(format!("cannot build the HTTP client: {e}")))?;
        Ok(Connection {
            http,
            base_url: options.base_url.clone(),
            authorization,
            request_timeout: options.request_timeout,
        })
    }

    /// A request to `path`; `bounded` requests time out after the request timeout.
    pub(crate) fn request(&self, method: Method, path: &str, bounded: bool) -> RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, self.authorization.clone());
        if bounded {
            request.timeout(self.request_timeout)
        } else {
            request
        }
    }
}

/// Why one sync attempt ended.
pub(crate) enum Failure {
    /// Try again after a backoff.
    Retry(String),
    /// The server refused the key; stop.
    Fatal(String),
}

/// Classifies a non-success status.
pub(crate) async fn refused(response: reqwest::Response) -> Failure {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or(body);
    let message = format!("server answered {status}: {detail}");
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Failure::Fatal(message)
    } else {
        Failure::Retry(message)
    }
}

/// The sync task: runs the configured mode until `stop` flips.
pub(crate) async fn run(
    options: Options,
    connection: Connection,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
) {
    match options.mode {
        Mode::Streaming => stream::run(&options, &connection, &shared, stop).await,
        Mode::Polling { interval } => {
            poll::run(&options, interval, &connection, &shared, stop).await
        }
        Mode::Offline { .. } => {}
    }
}

/// Sleeps `delay`; false when `stop` flipped first.
pub(crate) async fn pause(delay: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(delay) => !*stop.borrow(),
        _ = stop.changed() => false,
    }
}

/// Reports exposures to `POST /sdk/v1/exposures`.
#[derive(Clone, Debug)]
pub(crate) struct Reporter {
    connection: Connection,
}

impl Reporter {
    pub(crate) fn new(connection: Connection) -> Reporter {
        Reporter { connection }
    }

    /// Reports every `interval` until `stop` flips (the final report is
    /// [`crate::Client::close`]'s).
    pub(crate) async fn run(
        self,
        interval: Duration,
        shared: Arc<Shared>,
        mut stop: watch::Receiver<bool>,
    ) {
        while pause(interval, &mut stop).await {
            if let Err(error) = self.flush(&shared).await {
                tracing::debug!(%error, "exposure report failed; kept for the next one");
            }
        }
    }

    /// Sends what was counted; puts it back when the server did not take it.
    pub(crate) async fn flush(&self, shared: &Shared) -> Result<(), Error> {
        let report = shared.exposures.take(&shared.loaded.load());
        if report.is_empty() {
            return Ok(());
        }
        let report = Report { exposures: report };
        let body = serde_json::to_vec(&report).unwrap_or_default();
        let sent = self
            .connection
            .request(Method::POST, "/sdk/v1/exposures", true)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) if response.status().is_client_error() => {
                // The server will not take this report as it is; keeping it would only
                // make every later report fail too.
                let status = response.status().as_u16();
                Err(Error::Server {
                    status,
                    message: response.text().await.unwrap_or_default(),
                })
            }
            Ok(response) => {
                shared.exposures.restore(report.exposures);
                Err(Error::Server {
                    status: response.status().as_u16(),
                    message: response.text().await.unwrap_or_default(),
                })
            }
            Err(error) => {
                shared.exposures.restore(report.exposures);
                Err(Error::Http(error.to_string()))
            }
        }
    }
}
