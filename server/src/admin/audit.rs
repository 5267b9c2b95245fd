//! The audit log: who changed what, when, before → after, newest first.

use rollgate_core::FieldError;

use super::ServiceError;
use crate::auth::{Principal, Role, require_role};
use crate::state::App;
use crate::store::{AuditEvent, AuditQuery, Kind};

/// Most events one page returns.
pub const MAX_PAGE: usize = 500;

/// Reads a page of the audit log. `kind` is a kind name (`flag`, `segment`, …).
pub async fn list(
    app: &App,
    principal: &Principal,
    kind: Option<&str>,
    key: Option<String>,
    before_revision: Option<u64>,
    limit: Option<usize>,
) -> Result<Vec<AuditEvent>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let kind = match kind {
        None => None,
        Some(name) => Some(Kind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            ServiceError::Invalid(vec![FieldError::new(
                "kind",
                format!("unknown kind {name:?}; one of {known:?}"),
            )])
        })?),
    };
    if key.is_some() && kind.is_none() {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "key",
            "filtering by key needs a kind too",
        )]));
    }
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )]));
    }
    app.store
        .audit(AuditQuery {
            kind,
            key,
            before_revision,
            limit,
        })
        .await
        .map_err(ServiceError::Store)
}
