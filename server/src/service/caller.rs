//! The caller: who is behind a request's credentials, and what their role allows.

use std::sync::Arc;

use crate::infra::auth::{AuthError, Role, TokenKind, TokenRecord};

/// Who is calling: the verified token's record (shared, never copied per request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(Arc<TokenRecord>);

impl Principal {
    /// The caller behind a verified record.
    pub fn new(record: Arc<TokenRecord>) -> Principal {
        Principal(record)
    }

    /// How the audit log names this caller: `name (id)`.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.0.name, self.0.id)
    }

    /// The verified token's record.
    pub fn record(&self) -> &TokenRecord {
        &self.0
    }

    /// The token id.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The token's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The role of an admin token; `None` for an SDK key.
    pub fn role(&self) -> Option<Role> {
        match self.0.kind {
            TokenKind::Admin => Some(self.0.role.unwrap_or(Role::Viewer)),
            TokenKind::Sdk => None,
        }
    }

    /// The environment of an SDK key; `None` for an admin token.
    pub fn sdk_environment(&self) -> Option<&str> {
        match self.0.kind {
            TokenKind::Sdk => self.0.environment.as_deref(),
            TokenKind::Admin => None,
        }
    }
}

/// Checks that `principal` is an admin token with at least `needed`.
pub fn require_role(principal: &Principal, needed: Role) -> Result<(), AuthError> {
    match principal.role() {
        Some(role) if role >= needed => Ok(()),
        Some(role) => Err(AuthError::Forbidden(format!(
            "this needs the {} role; the token has {}",
            needed.as_str(),
            role.as_str()
        ))),
        None => Err(AuthError::Forbidden(
            "SDK keys can only evaluate flags; use an admin token for the admin API".to_owned(),
        )),
    }
}
