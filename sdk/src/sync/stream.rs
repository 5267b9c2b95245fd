//! Streaming: `GET /sdk/v1/stream` with `Last-Event-ID` = the revision held, so a
//! reconnect resumes where the last connection stopped; `ruleset` events replace the
//! documents, `change` events patch them. A stream that ends, fails or stays silent past
//! the idle timeout is reconnected after a backoff, which resets once a connection
//! delivered something.

use std::sync::Arc;

use reqwest::Method;
use tokio::sync::watch;

use super::{Connection, Failure, pause, refused};
use crate::builder::Options;
use crate::ruleset::{Change, Documents, Ruleset};
use crate::shared::Shared;
use crate::sse::{Decoder, Event};

pub(super) async fn run(
    options: &Options,
    connection: &Connection,
    shared: &Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut documents: Option<Documents> = None;
    let mut attempt = 0;
    loop {
        let outcome = tokio::select! {
            outcome = connect(options, connection, shared, &mut documents, &mut attempt) => outcome,
            _ = stop.changed() => return,
        };
        match outcome {
            Failure::Fatal(message) => {
                shared.mark_failed(message);
                return;
            }
            Failure::Retry(message) => shared.mark_failing(message),
        }
        if !pause(options.backoff.delay(attempt), &mut stop).await {
            return;
        }
        attempt = attempt.saturating_add(1);
    }
}

/// One connection, read until it ends.
async fn connect(
    options: &Options,
    connection: &Connection,
    shared: &Shared,
    documents: &mut Option<Documents>,
    attempt: &mut u32,
) -> Failure {
    let mut request = connection
        .request(Method::GET, "/sdk/v1/stream", false)
        .header(reqwest::header::ACCEPT, "text/event-stream");
    if let Some(held) = documents {
        request = request.header("Last-Event-ID", held.revision.to_string());
    }
    let response = match tokio::time::timeout(options.request_timeout, request.send()).await {
        Ok(Ok(response)) if response.status().is_success() => response,
        Ok(Ok(response)) => return refused(response).await,
        Ok(Err(error)) => return Failure::Retry(format!("cannot reach the server: {error}")),
        Err(_) => return Failure::Retry("the server did not answer in time".to_owned()),
    };
    let mut response = response;
    shared.mark_ready();
    let mut decoder = Decoder::new();
    loop {
        let chunk = match tokio::time::timeout(options.stream_idle_timeout, response.chunk()).await
        {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => return Failure::Retry("the server ended the stream".to_owned()),
            Ok(Err(error)) => return Failure::Retry(format!("the stream broke: {error}")),
            Err(_) => {
                return Failure::Retry(format!(
                    "the stream was silent for {:?}",
                    options.stream_idle_timeout
                ));
            }
        };
        *attempt = 0;
        for event in decoder.feed(&chunk) {
            if let Err(message) = handle(event, shared, documents) {
                return Failure::Retry(message);
            }
        }
    }
}

/// Applies one event; an error makes the client reconnect (with the ruleset it holds,
/// which is still consistent: a bad event is not applied).
fn handle(event: Event, shared: &Shared, documents: &mut Option<Documents>) -> Result<(), String> {
    match event.name.as_str() {
        "ruleset" => {
            let ruleset: Ruleset = serde_json::from_str(&event.data)
                .map_err(|e| format!("the server sent a ruleset this SDK cannot read: {e}"))?;
            let next = Documents::from_ruleset(ruleset);
            let changed = documents
                .as_ref()
                .map(|held| held.changed_flags(&next))
                .unwrap_or_default();
            shared.install(&next, changed);
            *documents = Some(next);
        }
        "change" => {
            let change: Change = serde_json::from_str(&event.data)
                .map_err(|e| format!("the server sent a change this SDK cannot read: {e}"))?;
            let held = documents
                .as_mut()
                .ok_or("the server sent a change before any ruleset")?;
            if change.revision <= held.revision {
                return Ok(());
            }
            let changed = held.apply(change);
            shared.install(held, changed);
        }
        _ => {}
    }
    Ok(())
}
