//! An open release page follows its release through Server-Sent Events: the page's
//! script opens `GET /releases/{id}/events` with `EventSource` (same origin, the
//! session cookie, nothing inline), and each `release` event says the version the
//! release is at now. The script then fetches the page's changing part
//! (`/releases/{id}/live`, `If-None-Match`) — one rendering of the page, whoever
//! triggers it.
//!
//! The events come from the store's change feed, so a write made on another replica
//! (the controller's analysis, someone's pause through the API) shows too. The first
//! event is the version read when the stream opened (the subscription is taken
//! before, so nothing between the read and the subscription is missed); a stream that
//! fell behind the feed gets version `0`, which makes the script ask. A heartbeat
//! comment every [`HEARTBEAT`] checks the session again: a stream ends when its
//! session does (expired, token revoked) and when the server shuts down; the script
//! then reconnects, or finds its way to the sign-in page. The stream does not renew
//! the session: an open tab is not a person acting.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use super::session::{COOKIE, Session};
use crate::infra::store::{Change, Kind};
use crate::infra::stream::frame;
use crate::service::{App, releases};

/// How often an idle stream sends a comment and checks its session.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Streams open at once in this process; past it a page is answered `503` and its
/// script tries again later.
const MAX_STREAMS: usize = 1024;
/// The event's name.
const EVENT: &str = "release";

static OPEN: AtomicUsize = AtomicUsize::new(0);

/// One of the [`MAX_STREAMS`], given back when the stream is dropped.
struct Slot;

impl Slot {
    fn take() -> Option<Slot> {
        OPEN.fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
            (open < MAX_STREAMS).then_some(open + 1)
        })
        .ok()
        .map(|_| Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A stream's state between events.
struct Follow {
    app: Data<App>,
    id: String,
    cookie: String,
    feed: broadcast::Receiver<Arc<Change>>,
    closing: watch::Receiver<bool>,
    first: Option<Bytes>,
    _slot: Slot,
}

fn version_event(version: u64) -> Bytes {
    frame::event(
        EVENT,
        version,
        itoa::Buffer::new().format(version).as_bytes(),
    )
}

/// The next bytes of the stream, or its end.
async fn next(mut follow: Follow) -> Option<(Result<Bytes, Infallible>, Follow)> {
    if let Some(first) = follow.first.take() {
        return Some((Ok(first), follow));
    }
    if *follow.closing.borrow() {
        return None;
    }
    loop {
        let bytes = tokio::select! {
            change = follow.feed.recv() => match change {
                Ok(change) => match change
                    .entries
                    .iter()
                    .find(|e| e.kind == Kind::Release && e.key == follow.id)
                {
                    Some(entry) => version_event(entry.version),
                    None => continue,
                },
                Err(RecvError::Lagged(_)) => version_event(0),
                Err(RecvError::Closed) => return None,
            },
            () = tokio::time::sleep(HEARTBEAT) => {
                if !Session::still_holds(&follow.app, &follow.cookie) {
                    return None;
                }
                Bytes::from_static(frame::HEARTBEAT)
            }
            _ = follow.closing.changed() => return None,
        };
        return Some((Ok(bytes), follow));
    }
}

/// The event stream of release `id` for a signed-in person who may read it.
pub(super) async fn events(app: Data<App>, req: HttpRequest, id: Path<String>) -> HttpResponse {
    let Ok(session) = Session::of(&app, &req) else {
        return super::plain_error(StatusCode::UNAUTHORIZED, "your session has ended");
    };
    let cookie = req
        .cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let Some(slot) = Slot::take() else {
        let mut busy = super::plain_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many open release pages on this server: the page tries again shortly",
        );
        busy.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        return busy;
    };
    // Subscribed before the read: a change between the two is on the feed.
    let feed = app.store.subscribe();
    let closing = app.hub.streams().closing();
    let stored = match releases::get(&app, &session.principal, &id).await {
        Ok(stored) => stored,
        Err(error) => return super::releases::failed(&app, &req, &session, error),
    };
    let mut first = frame::RETRY.to_vec();
    first.extend_from_slice(&version_event(stored.version));
    let follow = Follow {
        id: stored.doc.id.clone(),
        first: Some(Bytes::from(first)),
        app,
        cookie,
        feed,
        closing,
        _slot: slot,
    };
    super::html(StatusCode::OK)
        .content_type("text/event-stream")
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold(follow, next))
}
