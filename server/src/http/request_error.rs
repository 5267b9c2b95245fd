//! What can be wrong with a request before any service runs: its headers, body, query,
//! path, route or method. Handlers and extractors name the cause; [`super::problem`]
//! alone decides the status and the body.

use std::time::Duration;

use actix_web::error::PayloadError;

/// A request the HTTP layer refuses on its shape.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// `If-Match` is not a version.
    #[error("If-Match must be a document version such as \"3\" (the ETag of a GET), got {0:?}")]
    IfMatch(String),
    /// `If-Match: *`, which names no version.
    #[error(
        "If-Match: * does not name the version this write replaces; send the version you read (the ETag of a GET), e.g. If-Match: \"3\""
    )]
    IfMatchAny,
    /// `Last-Event-ID` is not a revision.
    #[error("Last-Event-ID must be the revision (id) of the last event received, got {0:?}")]
    LastEventId(String),
    /// A body that is not declared as JSON (the media type's essence).
    #[error("request bodies are JSON; send Content-Type: application/json, not {0:?}")]
    NotJson(String),
    /// A body over `limits.max_body_bytes`.
    #[error("the request body is larger than the limit of {0} bytes (limits.max_body_bytes)")]
    TooLarge(usize),
    /// The body did not arrive within `limits.read_timeout`.
    #[error("the request body did not arrive within {0:?} (limits.read_timeout)")]
    TimedOut(Duration),
    /// The connection failed while the body was read.
    #[error("could not read the request body: {0}")]
    Unreadable(PayloadError),
    /// Query parameters that do not fit the operation.
    #[error("invalid query parameters: {0}")]
    Query(String),
    /// A numeric query parameter that is not a number.
    #[error("query parameter `{name}` must be a non-negative integer, got {text:?}")]
    NotANumber {
        name: &'static str,
        /// What was sent.
        text: String,
    },
    /// A `format` that the resource does not offer.
    #[error("unknown format {asked:?}; one of {offered:?}")]
    UnknownFormat {
        /// What was asked.
        asked: String,
        /// The formats offered.
        offered: Vec<&'static str>,
    },
    /// A changelog `view` other than `internal` or `public`.
    #[error("unknown view {0:?}; one of [\"internal\", \"public\"]")]
    UnknownView(String),
    /// An `Accept` header that no offered representation satisfies.
    #[error("cannot answer with {accept:?}; ask for one of {types:?}, or use ?format={formats:?}")]
    NotAcceptable {
        accept: String,
        /// The media types offered.
        types: Vec<&'static str>,
        /// The `format` names offered.
        formats: Vec<&'static str>,
    },
    /// Path parameters that do not parse.
    #[error("invalid path: {0}")]
    Path(String),
    /// No route has this path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// A release action that does not exist.
    #[error(
        "unknown release action {name:?}; one of {known:?}, percent, checklist/{{index}}, incidents"
    )]
    UnknownAction {
        /// What was asked.
        name: String,
        /// The actions of the state machine.
        known: Vec<&'static str>,
    },
    /// The public changelog feed is turned off.
    #[error("the public changelog feed is turned off (changelog.public_feed)")]
    FeedOff,
    /// The resource has no such method.
    #[error("{method} is not supported on {path}{}", .allowed.map(|a| format!("; use {a}")).unwrap_or_default())]
    MethodNotAllowed {
        /// The method asked.
        method: String,
        /// The path asked.
        path: String,
        /// The methods the route has, as an `Allow` value, when known.
        allowed: Option<&'static str>,
    },
    /// Moving the clock while the manual clock is off.
    #[error("the manual clock is off (it is for tests: set testing.manual_clock_start)")]
    ManualClockOff,
}
