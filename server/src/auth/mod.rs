//! Authentication and authorisation: admin tokens with roles, SDK keys bound to one
//! environment.
//!
//! A token is `rg_<kind>_<id>_<secret>`. The id is public and addresses the stored
//! record; the secret (≥ 190 bits from the OS RNG) is shown once and stored only as its
//! SHA-256 digest, compared in constant time. A fast hash is enough: the secret is
//! random, not a password.

mod index;
mod token;

pub use index::{BOOTSTRAP_ID, TokenIndex};
pub(crate) use token::random_text;
pub use token::{IssuedToken, Role, TokenKind, TokenRecord, hash_secret, issue, parse_token};

/// Who is calling: the verified token's record (shared, never copied per request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(std::sync::Arc<TokenRecord>);

impl Principal {
    /// The caller behind a verified record.
    pub fn new(record: std::sync::Arc<TokenRecord>) -> Principal {
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

/// Why a request is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No usable credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Credentials fine, permission missing.
    #[error("{0}")]
    Forbidden(String),
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
