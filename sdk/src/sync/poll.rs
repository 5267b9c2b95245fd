//! Polling: `GET /sdk/v1/ruleset` every interval with `If-None-Match` = the revision
//! held, so an unchanged ruleset costs a `304`. Failures are retried with backoff (never
//! slower than the interval) while the last ruleset keeps serving.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use tokio::sync::watch;

use super::{Connection, Failure, pause, refused};
use crate::builder::Options;
use crate::ruleset::{Documents, Ruleset};
use crate::shared::Shared;

pub(super) async fn run(
    options: &Options,
    interval: Duration,
    connection: &Connection,
    shared: &Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut documents: Option<Documents> = None;
    let mut attempt = 0;
    loop {
        let delay = match poll(connection, shared, &mut documents).await {
            Ok(()) => {
                attempt = 0;
                interval
            }
            Err(Failure::Fatal(message)) => {
                shared.mark_failed(message);
                return;
            }
            Err(Failure::Retry(message)) => {
                shared.mark_failing(message);
                attempt += 1;
                options.backoff.delay(attempt - 1).min(interval)
            }
        };
        if !pause(delay, &mut stop).await {
            return;
        }
    }
}

async fn poll(
    connection: &Connection,
    shared: &Shared,
    documents: &mut Option<Documents>,
) -> Result<(), Failure> {
    let mut request = connection.request(Method::GET, "/sdk/v1/ruleset", true);
    if let Some(held) = documents {
        request = request.header(
            reqwest::header::IF_NONE_MATCH,
            format!("\"{}\"", held.revision),
        );
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Retry(format!("cannot reach the server: {e}")))?;
    match response.status() {
        StatusCode::NOT_MODIFIED => {
            shared.mark_ready();
            Ok(())
        }
        status if status.is_success() => {
            let body = response
                .bytes()
                .await
                .map_err(|e| Failure::Retry(format!("the ruleset download broke: {e}")))?;
            let ruleset: Ruleset = serde_json::from_slice(&body).map_err(|e| {
                Failure::Retry(format!(
                    "the server sent a ruleset this SDK cannot read: {e}"
                ))
            })?;
            let next = Documents::from_ruleset(ruleset);
            let changed = documents
                .as_ref()
                .map(|held| held.changed_flags(&next))
                .unwrap_or_default();
            shared.install(&next, changed);
            *documents = Some(next);
            Ok(())
        }
        _ => Err(refused(response).await),
    }
}
