//! The caller: who is behind a request's credentials, and what their role allows.

use std::sync::Arc;

use crate::infra::auth::{Role, TokenKind, TokenRecord};

/// Who is calling: the verified token's record (shared, never copied per request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Principal(Arc<TokenRecord>);

impl Principal {
    /// The caller behind a verified record.
    pub(crate) fn new(record: Arc<TokenRecord>) -> Principal {
        Principal(record)
    }

    /// How the audit log names this caller: `name (id)`.
    pub(crate) fn actor(&self) -> String {
        format!("{} ({})", self.0.name, self.0.id)
    }

    /// The verified token's record.
    pub(crate) fn record(&self) -> &TokenRecord {
        &self.0
    }

    /// The token id.
    pub(crate) fn id(&self) -> &str {
        &self.0.id
    }

    /// The token's name.
    pub(crate) fn name(&self) -> &str {
        &self.0.name
    }

    /// The role of an admin token; `None` for an SDK key.
    pub(crate) fn role(&self) -> Option<Role> {
        match self.0.kind {
            TokenKind::Admin => Some(self.0.role.unwrap_or(Role::Viewer)),
            TokenKind::Sdk => None,
        }
    }

    /// The environment of an SDK key; `None` for an admin token.
    pub(crate) fn sdk_environment(&self) -> Option<&str> {
        match self.0.kind {
            TokenKind::Sdk => self.0.environment.as_deref(),
            TokenKind::Admin => None,
        }
    }
}

/// Why a caller whose credentials are fine may not do what they asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Forbidden {
    /// An admin token whose role is below the one needed.
    #[error("this needs the {} role; the token has {}", .needed.as_str(), .has.as_str())]
    Role {
        /// The role the call needs.
        needed: Role,
        /// The caller's role.
        has: Role,
    },
    /// An SDK key on the admin API.
    #[error("SDK keys can only evaluate flags; use an admin token for the admin API")]
    SdkKey,
    /// An admin token where an SDK key is needed (the SDK's sync).
    #[error(
        "this endpoint takes an SDK key (POST /api/v1/tokens with kind \"sdk\"), not an admin token"
    )]
    NotSdkKey,
    /// An admin token asking to evaluate flags.
    #[error(
        "admin tokens cannot evaluate flags; use an SDK key (POST /api/v1/tokens with kind \"sdk\")"
    )]
    AdminEvaluates,
    /// An SDK key whose environment has been deleted.
    #[error("environment {0:?} of this SDK key no longer exists")]
    EnvironmentGone(String),
    /// The author of a release approving it (four eyes).
    #[error("four eyes: the author of a release cannot approve it; another release manager must")]
    OwnRelease,
}

/// Checks that `principal` is an admin token with at least `needed`.
pub(crate) fn require_role(principal: &Principal, needed: Role) -> Result<(), Forbidden> {
    match principal.role() {
        Some(role) if role >= needed => Ok(()),
        Some(has) => Err(Forbidden::Role { needed, has }),
        None => Err(Forbidden::SdkKey),
    }
}
