//! The one place where errors become HTTP responses. Every refusal the server sends is
//! decided here, from a typed cause:
//!
//! - the services' [`ServiceError`], the request-shape [`RequestError`] and the SDK
//!   streams' [`SubscribeError`] become RFC 9457 problem details
//!   (`application/problem+json`) with a stable `type`, a human `detail`, the offending
//!   `field`, and every field error in `errors`;
//! - OFREP's [`OfrepError`] becomes OFREP's own error shape,
//!   `{"key", "errorCode", "errorDetails"}`, which OpenFeature clients read.
//!
//! Statuses, `type` slugs, titles and headers are chosen nowhere else.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use rollgate_core::ofrep::RequestError as OfrepRequest;
use rollgate_core::release::Warning;
use rollgate_core::{ErrorCode, FieldError};
use serde::Serialize;

use super::guard::{Refused, Throttled};
use super::ofrep::OfrepError;
use super::request_error::RequestError;
use crate::infra::auth::Unauthenticated;
use crate::infra::stream::SubscribeError;
use crate::service::{Forbidden, Refusal, ServiceError};

/// The media type of every problem document.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Base of every problem `type`.
pub(crate) const PROBLEM_BASE: &str = "https://rollgate.dev/problems/";

/// Seconds a client refused a stream (too many, or shutting down) should wait.
const RETRY_STREAMS_AFTER: u64 = 5;

/// An error the HTTP layer answers with a problem document.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// From the services.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A request refused on its shape, before any service ran.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// An SDK stream that cannot be opened.
    #[error(transparent)]
    Subscribe(#[from] SubscribeError),
    /// The caller's address failed authentication too often.
    #[error(transparent)]
    Throttled(#[from] Throttled),
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> ApiError {
        match refused {
            Refused::Unauthenticated(why) => why.into(),
            Refused::Throttled(throttled) => throttled.into(),
        }
    }
}

impl From<Unauthenticated> for ApiError {
    fn from(error: Unauthenticated) -> ApiError {
        ApiError::Service(error.into())
    }
}

impl From<Forbidden> for ApiError {
    fn from(error: Forbidden) -> ApiError {
        ApiError::Service(error.into())
    }
}

/// The problem document (RFC 9457), as published in the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// Stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: &'static str,
    /// HTTP status.
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// The offending field (JSON path, header or parameter name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field error, when the document had several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For 412/428: the document's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// For a start refused for want of acknowledgement: each warning, with the `code`
    /// to acknowledge it by.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// One field error inside a problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProblemField {
    /// JSON path of the field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(error: &FieldError) -> ProblemField {
        ProblemField {
            field: error.field.clone(),
            message: error.message.clone(),
        }
    }
}

/// The status, `type` slug and title of a service error.
fn service_parts(error: &ServiceError) -> (StatusCode, &'static str, &'static str) {
    match error {
        ServiceError::Unauthenticated(_) => (
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
        ),
        ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
        ServiceError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON"),
        ServiceError::Invalid(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid document",
        ),
        ServiceError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
        ServiceError::VersionRequired { .. } => (
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "If-Match required",
        ),
        ServiceError::VersionConflict { .. } => (
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "Version mismatch",
        ),
        ServiceError::Conflict(_) | ServiceError::Refused(_) | ServiceError::LeaseLost { .. } => {
            (StatusCode::CONFLICT, "conflict", "Conflict")
        }
        ServiceError::StoreUnavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "store-unavailable",
            "Store unavailable",
        ),
        ServiceError::StoreFailed(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        ),
    }
}

/// The status, `type` slug and field (header or parameter) of a request refused on its
/// shape; its title is the status's reason phrase.
fn request_parts(error: &RequestError) -> (StatusCode, &'static str, Option<&'static str>) {
    match error {
        RequestError::IfMatch(_) => (StatusCode::BAD_REQUEST, "bad-header", Some("If-Match")),
        RequestError::IfMatchAny => (
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            Some("If-Match"),
        ),
        RequestError::LastEventId(_) => {
            (StatusCode::BAD_REQUEST, "bad-header", Some("Last-Event-ID"))
        }
        RequestError::NotJson(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            Some("Content-Type"),
        ),
        RequestError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", None),
        RequestError::TimedOut(_) => (StatusCode::REQUEST_TIMEOUT, "request-timeout", None),
        RequestError::Unreadable(_) => (StatusCode::BAD_REQUEST, "bad-body", None),
        RequestError::Query(_) => (StatusCode::BAD_REQUEST, "bad-query", None),
        RequestError::NotANumber { name, .. } => (StatusCode::BAD_REQUEST, "bad-query", Some(name)),
        RequestError::UnknownFormat { .. } => {
            (StatusCode::BAD_REQUEST, "bad-query", Some("format"))
        }
        RequestError::UnknownView(_) => (StatusCode::BAD_REQUEST, "bad-query", Some("view")),
        RequestError::NotAcceptable { .. } => {
            (StatusCode::NOT_ACCEPTABLE, "not-acceptable", Some("Accept"))
        }
        RequestError::Path(_) => (StatusCode::BAD_REQUEST, "bad-path", None),
        RequestError::NoRoute(_) | RequestError::FeedOff => {
            (StatusCode::NOT_FOUND, "not-found", None)
        }
        RequestError::UnknownAction { .. } => (StatusCode::NOT_FOUND, "not-found", Some("action")),
        RequestError::MethodNotAllowed { .. } => {
            (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", None)
        }
        RequestError::ManualClockOff => (StatusCode::CONFLICT, "conflict", None),
    }
}

/// The status and `type` slug of a stream that cannot be opened.
fn subscribe_parts(error: &SubscribeError) -> (StatusCode, &'static str) {
    match error {
        SubscribeError::UnknownEnvironment(_) => (StatusCode::FORBIDDEN, "forbidden"),
        SubscribeError::TooManyStreams { .. } => {
            (StatusCode::TOO_MANY_REQUESTS, "too-many-streams")
        }
        SubscribeError::Closed => (StatusCode::SERVICE_UNAVAILABLE, "shutting-down"),
    }
}

/// A status's reason phrase, the title of request-level problems.
fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Service(error) => service_parts(error),
            ApiError::Request(error) => {
                let (status, slug, _) = request_parts(error);
                (status, slug, reason(status))
            }
            ApiError::Subscribe(error) => {
                let (status, slug) = subscribe_parts(error);
                (status, slug, reason(status))
            }
            ApiError::Throttled(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-failures",
                "Too many failed authentications",
            ),
        }
    }

    /// The problem document for this error.
    pub(crate) fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let mut problem = Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            field: None,
            errors: Vec::new(),
            current_version: None,
            warnings: Vec::new(),
        };
        match self {
            ApiError::Request(error) => problem.field = request_parts(error).2.map(str::to_owned),
            ApiError::Subscribe(_) => {}
            ApiError::Throttled(_) => problem.field = Some("Authorization".to_owned()),
            ApiError::Service(error) => service_problem(error, &mut problem),
        }
        problem
    }

    /// Headers the answer needs besides the problem: how to authenticate, when to come
    /// back, which methods the resource has.
    fn headers(&self, response: &mut HttpResponseBuilder) {
        match self {
            ApiError::Service(ServiceError::Unauthenticated(_)) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"rollgate\""));
            }
            ApiError::Subscribe(SubscribeError::TooManyStreams { .. } | SubscribeError::Closed) => {
                response
                    .insert_header((header::RETRY_AFTER, HeaderValue::from(RETRY_STREAMS_AFTER)));
            }
            ApiError::Throttled(Throttled { retry_after }) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from(*retry_after)));
            }
            ApiError::Request(RequestError::MethodNotAllowed {
                allowed: Some(allowed),
                ..
            }) => {
                response.insert_header((header::ALLOW, HeaderValue::from_static(allowed)));
            }
            // The rest of the body was not read: the connection cannot carry another
            // request.
            ApiError::Request(RequestError::TooLarge(_) | RequestError::TimedOut(_)) => {
                response.force_close();
            }
            _ => {}
        }
    }
}

/// The service-specific parts of a problem: the field, every field error, the current
/// version, and no internals in the detail of a failure.
fn service_problem(error: &ServiceError, problem: &mut Problem) {
    match error {
        ServiceError::Malformed(error) => {
            problem.field = Some(error.field.clone()).filter(|f| !f.is_empty());
            problem.detail = error.to_string();
        }
        ServiceError::Invalid(errors) => {
            problem.field = errors
                .first()
                .map(|e| e.field.clone())
                .filter(|f| !f.is_empty());
            problem.detail = errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            problem.errors = errors.iter().map(ProblemField::from).collect();
        }
        ServiceError::Refused(Refusal::Unacknowledged(warnings)) => {
            problem.field = error.field();
            problem.warnings = warnings.clone();
        }
        ServiceError::Conflict(_) | ServiceError::Refused(_) | ServiceError::LeaseLost { .. } => {
            problem.field = error.field();
        }
        ServiceError::VersionRequired { current, .. } => {
            problem.field = Some("If-Match".to_owned());
            problem.current_version = Some(*current);
        }
        ServiceError::VersionConflict { current, .. } => {
            problem.field = Some("If-Match".to_owned());
            problem.current_version = *current;
        }
        ServiceError::Unauthenticated(_) | ServiceError::Forbidden(_) => {
            problem.field = Some("Authorization".to_owned());
        }
        ServiceError::StoreFailed(failure) => {
            tracing::error!(error = %failure, "store failure");
            problem.detail =
                "the server failed to complete the request; it has been logged".to_owned();
        }
        ServiceError::StoreUnavailable(_) | ServiceError::NotFound { .. } => {}
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        self.headers(&mut response);
        response.json(problem)
    }
}

/// The status and OFREP `errorCode` of an OFREP error.
pub(crate) fn ofrep_parts(error: &OfrepError) -> (StatusCode, ErrorCode) {
    match error {
        OfrepError::NoEndpoint(_) => (StatusCode::NOT_FOUND, ErrorCode::General),
        OfrepError::KeyWithSlash(_) => (StatusCode::NOT_FOUND, ErrorCode::FlagNotFound),
        OfrepError::Method(_) => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::General),
        OfrepError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, ErrorCode::General),
        OfrepError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::General),
        OfrepError::RateLimited { .. } | OfrepError::Throttled(_) => {
            (StatusCode::TOO_MANY_REQUESTS, ErrorCode::General)
        }
        OfrepError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::General),
        OfrepError::TimedOut(_) => (StatusCode::REQUEST_TIMEOUT, ErrorCode::General),
        OfrepError::Unreadable(_) | OfrepError::Request(OfrepRequest::Parse(_)) => {
            (StatusCode::BAD_REQUEST, ErrorCode::ParseError)
        }
        OfrepError::Request(OfrepRequest::InvalidContext(_))
        | OfrepError::TargetingKeyNotString => (StatusCode::BAD_REQUEST, ErrorCode::InvalidContext),
        OfrepError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::General),
    }
}

/// The status of an evaluation that failed for its flag or context (its body is the
/// evaluation itself, with `errorCode` and `errorDetails`).
pub(crate) fn evaluation_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::FlagNotFound => StatusCode::NOT_FOUND,
        ErrorCode::TargetingKeyMissing
        | ErrorCode::InvalidContext
        | ErrorCode::ParseError
        | ErrorCode::TypeMismatch => StatusCode::BAD_REQUEST,
        ErrorCode::NotReady | ErrorCode::General => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of an OFREP error.
#[derive(Serialize)]
struct OfrepFailure<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(rename = "errorCode")]
    code: &'static str,
    #[serde(rename = "errorDetails")]
    details: &'a str,
}

/// The OFREP answer to `error`, naming the flag `key` when the request was about one.
pub(crate) fn ofrep_response(error: &OfrepError, key: Option<&str>) -> HttpResponse {
    let (status, code) = ofrep_parts(error);
    let mut response = HttpResponse::build(status);
    match error {
        OfrepError::RateLimited { retry_after }
        | OfrepError::Throttled(Throttled { retry_after }) => {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        // The rest of the body was not read.
        OfrepError::TooLarge(_) | OfrepError::TimedOut(_) => {
            response.force_close();
        }
        _ => {}
    }
    let details = error.to_string();
    let body = OfrepFailure {
        key,
        code: code.as_str(),
        details: &details,
    };
    response.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ));
    if let OfrepError::Method(RequestError::MethodNotAllowed {
        allowed: Some(allowed),
        ..
    }) = error
    {
        response.insert_header((header::ALLOW, HeaderValue::from_static(allowed)));
    }
    response.body(serde_json::to_vec(&body).unwrap_or_default())
}
