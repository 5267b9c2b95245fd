//! The one place that maps errors to HTTP responses: RFC 9457 problem details
//! (`application/problem+json`) with a stable `type`, a human `detail`, the offending
//! `field`, and every field error in `errors`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use rollgate_core::FieldError;
use serde::Serialize;

use crate::infra::auth::AuthError;
use crate::infra::store::StoreError;
use crate::service::ServiceError;

/// The media type of every problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Base of every problem `type`.
pub const PROBLEM_BASE: &str = "https://rollgate.dev/problems/";

/// An error the HTTP layer answers with a problem document.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the admin services.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A request-level problem found before any service ran (bad header, body too
    /// large, wrong content type, unknown route …).
    #[error("{detail}")]
    Request {
        /// HTTP status.
        status: StatusCode,
        /// Stable slug for `type`.
        slug: &'static str,
        /// What is wrong.
        detail: String,
        /// The field (header, query parameter) concerned.
        field: Option<String>,
    },
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> ApiError {
        ApiError::Service(ServiceError::Auth(error))
    }
}

impl ApiError {
    /// A request-level problem.
    pub fn request(
        status: StatusCode,
        slug: &'static str,
        detail: impl Into<String>,
        field: Option<&str>,
    ) -> ApiError {
        ApiError::Request {
            status,
            slug,
            detail: detail.into(),
            field: field.map(str::to_owned),
        }
    }
}

/// The problem document (RFC 9457), as published in the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
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
}

/// One field error inside a problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
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

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Request { status, slug, .. } => {
                (*status, slug, status.canonical_reason().unwrap_or("Error"))
            }
            ApiError::Service(error) => match error {
                ServiceError::Auth(AuthError::Unauthenticated(_)) => (
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Authentication required",
                ),
                ServiceError::Auth(AuthError::Forbidden(_)) => {
                    (StatusCode::FORBIDDEN, "forbidden", "Not allowed")
                }
                ServiceError::Malformed(_) => {
                    (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON")
                }
                ServiceError::Invalid(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid document",
                ),
                ServiceError::NotFound { .. } => (StatusCode::NOT_FOUND, "not-found", "Not found"),
                ServiceError::PreconditionRequired { .. } => (
                    StatusCode::PRECONDITION_REQUIRED,
                    "precondition-required",
                    "If-Match required",
                ),
                ServiceError::PreconditionFailed { .. } => (
                    StatusCode::PRECONDITION_FAILED,
                    "precondition-failed",
                    "Version mismatch",
                ),
                ServiceError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict"),
                ServiceError::Store(StoreError::Unavailable(_)) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store-unavailable",
                    "Store unavailable",
                ),
                ServiceError::Store(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                ),
            },
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let mut problem = Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            field: None,
            errors: Vec::new(),
            current_version: None,
        };
        match self {
            ApiError::Request { field, .. } => problem.field = field.clone(),
            ApiError::Service(ServiceError::Malformed(error)) => {
                problem.field = Some(error.field.clone()).filter(|f| !f.is_empty());
                problem.detail = error.to_string();
            }
            ApiError::Service(ServiceError::Invalid(errors)) => {
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
            ApiError::Service(ServiceError::Conflict { field, .. }) => {
                problem.field = field.clone()
            }
            ApiError::Service(ServiceError::PreconditionRequired { current, .. }) => {
                problem.field = Some("If-Match".to_owned());
                problem.current_version = Some(*current);
            }
            ApiError::Service(ServiceError::PreconditionFailed { current, .. }) => {
                problem.field = Some("If-Match".to_owned());
                problem.current_version = *current;
            }
            ApiError::Service(ServiceError::Auth(_)) => {
                problem.field = Some("Authorization".to_owned())
            }
            ApiError::Service(ServiceError::Store(error)) => {
                if status == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(%error, "store failure");
                    problem.detail =
                        "the server failed to complete the request; it has been logged".to_owned();
                }
            }
            ApiError::Service(ServiceError::NotFound { .. }) => {}
        }
        problem
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
        if problem.status == 401 {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"rollgate\""));
        }
        response.json(problem)
    }
}
