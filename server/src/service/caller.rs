//! The caller: who is behind a request's credentials, what their role allows, and in
//! which environments an admin token scoped to some may act.

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

    /// The role of an admin token; `None` for an SDK or frontend key.
    pub(crate) fn role(&self) -> Option<Role> {
        match self.0.kind {
            TokenKind::Admin => Some(self.0.role.unwrap_or(Role::Viewer)),
            TokenKind::Sdk | TokenKind::Frontend => None,
        }
    }

    /// The environments an admin token is scoped to; `None`: every environment.
    pub(crate) fn scope(&self) -> Option<&[String]> {
        self.0.environments.as_deref()
    }

    /// The environment an SDK or frontend key evaluates in; `None` for an admin token.
    pub(crate) fn evaluation_environment(&self) -> Option<&str> {
        match self.0.kind {
            TokenKind::Sdk | TokenKind::Frontend => self.0.environment.as_deref(),
            TokenKind::Admin => None,
        }
    }

    /// The environment whose ruleset the SDK's sync may read: an SDK key's. A frontend
    /// key is refused, since rules and segment members are not for public pages.
    pub(crate) fn sdk_environment(&self) -> Result<&str, Forbidden> {
        match self.0.kind {
            TokenKind::Sdk => self.0.environment.as_deref().ok_or(Forbidden::NotSdkKey),
            TokenKind::Frontend => Err(Forbidden::FrontendKey),
            TokenKind::Admin => Err(Forbidden::NotSdkKey),
        }
    }

    /// May a page on `origin` (its `Origin` header, if any) use this key? A frontend
    /// key that lists origins refuses pages elsewhere; a request without `Origin` does
    /// not come from another site's page, and is let through.
    pub(crate) fn check_origin(&self, origin: Option<&str>) -> Result<(), Forbidden> {
        match (&self.0.allowed_origins, origin) {
            (Some(allowed), Some(origin)) if !allowed.iter().any(|o| o == origin) => {
                Err(Forbidden::Origin(origin.to_owned()))
            }
            _ => Ok(()),
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
    /// An SDK or frontend key on the admin API.
    #[error("SDK and frontend keys can only evaluate flags; use an admin token for the admin API")]
    SdkKey,
    /// A frontend key on the SDK's sync routes.
    #[error(
        "frontend keys evaluate through OFREP only (/ofrep/v1/...); the SDK's sync serves rules and segments, so it takes a server-side SDK key (kind \"sdk\")"
    )]
    FrontendKey,
    /// A frontend key used by a page on an origin it does not list.
    #[error(
        "this frontend key is not for pages on {0}: the origin is not among its allowed_origins"
    )]
    Origin(String),
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
    /// A scoped token acting on an environment outside its scope.
    #[error(
        "this token acts only in environment(s) {scope:?}; {environment:?} is outside its scope"
    )]
    OutOfScope {
        /// The environment asked about.
        environment: String,
        /// The token's environments.
        scope: Vec<String>,
    },
    /// A scoped token changing what every environment shares.
    #[error(
        "this token acts only in environment(s) {scope:?}; {what} concern every environment, so only a token without `environments` may change them"
    )]
    Shared {
        /// What it tried to change.
        what: &'static str,
        /// The token's environments.
        scope: Vec<String>,
    },
    /// The author of a release approving it (four eyes).
    #[error("four eyes: the author of a release cannot approve it; another release manager must")]
    OwnRelease,
    /// A sign-off (or a commitment) from someone the release group does not name for it.
    #[error("{who} is not a member of this release's group as its {role}; only they may {what}")]
    NotMember {
        /// The caller.
        who: String,
        /// The function (or resource owner) asked for.
        role: String,
        /// What only such a member may do.
        what: &'static str,
    },
}

/// Checks that `principal` is an admin token with at least `needed`.
pub(crate) fn require_role(principal: &Principal, needed: Role) -> Result<(), Forbidden> {
    match principal.role() {
        Some(role) if role >= needed => Ok(()),
        Some(has) => Err(Forbidden::Role { needed, has }),
        None => Err(Forbidden::SdkKey),
    }
}

/// Checks that `principal` may act in `environment` (a token without `environments`
/// may act in all of them).
pub(crate) fn require_environment(
    principal: &Principal,
    environment: &str,
) -> Result<(), Forbidden> {
    match principal.scope() {
        Some(scope) if !scope.iter().any(|e| e == environment) => Err(Forbidden::OutOfScope {
            environment: environment.to_owned(),
            scope: scope.to_vec(),
        }),
        _ => Ok(()),
    }
}

/// Checks that `principal` is not scoped to environments: `what` (segments, tokens,
/// environments, webhooks) concern every environment.
pub(crate) fn require_unscoped(principal: &Principal, what: &'static str) -> Result<(), Forbidden> {
    match principal.scope() {
        Some(scope) => Err(Forbidden::Shared {
            what,
            scope: scope.to_vec(),
        }),
        None => Ok(()),
    }
}
