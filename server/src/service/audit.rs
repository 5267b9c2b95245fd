//! The audit log: who changed what, when, before → after, newest first.

use rollgate_core::FieldError;

use super::ServiceError;
use crate::infra::auth::Role;
use crate::infra::store::{AuditEvent, AuditQuery, Kind};
use crate::service::App;
use crate::service::{Principal, require_role};

/// Most events one page returns.
pub(crate) const MAX_PAGE: usize = 500;

/// Reads a page of the audit log. `kind` is a kind name (`flag`, `segment`, …).
pub(crate) async fn list(
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
        return Err(ServiceError::invalid(
            "key",
            "filtering by key needs a kind too",
        ));
    }
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let query = AuditQuery {
        kind,
        key,
        before_revision,
        limit,
    };
    let mut page = whole_revisions(app, query).await?;
    for event in &mut page {
        redact(event);
    }
    Ok(page)
}

/// Reads a page that never splits a revision. Clients page with `before` = the last
/// revision they saw, so a page ending inside a commit of several changes would hide
/// the rest of that commit: such a revision is left whole for the next page, or, when
/// it is the only one on the page, returned whole even if that exceeds `limit`.
async fn whole_revisions(app: &App, query: AuditQuery) -> Result<Vec<AuditEvent>, ServiceError> {
    let limit = query.limit;
    let mut page = app
        .store
        .audit(query.clone())
        .await
        .map_err(ServiceError::from)?;
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(page);
    };
    let (first, last) = (first.revision, last.revision);
    if page.len() < limit {
        return Ok(page);
    }
    if first != last {
        page.retain(|e| e.revision != last);
        return Ok(page);
    }
    let whole = app
        .store
        .audit(AuditQuery {
            before_revision: Some(last.saturating_add(1)),
            limit: 0,
            ..query
        })
        .await
        .map_err(ServiceError::from)?;
    Ok(whole
        .into_iter()
        .take_while(|e| e.revision == last)
        .collect())
}

/// Token records carry the digest of their secret, webhook subscriptions their signing
/// secret; the audit log never shows either.
fn redact(event: &mut AuditEvent) {
    let secret = match event.kind {
        Kind::Token => "secret_sha256",
        Kind::Webhook => "secret",
        _ => return,
    };
    for body in [&mut event.before, &mut event.after].into_iter().flatten() {
        if let Some(fields) = body.as_object_mut() {
            fields.remove(secret);
        }
    }
}
