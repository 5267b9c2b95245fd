//! Tokens: issue SDK keys, frontend keys and admin tokens (the secret is returned
//! once), list and revoke them. Only admins manage tokens — and only admins not scoped to environments,
//! since a token could otherwise issue itself a wider one; the last admin token cannot
//! be revoked.

use rollgate_core::FieldError;
use rollgate_core::validate::{Lines, check_text};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    Conflict, ServiceError, change_by, commit, commit_at_revision, read, read_all, to_body,
};
use crate::infra::auth::{Role, TokenKind, TokenRecord, issue};
use crate::infra::hub::Catalog;
use crate::infra::store::{Commit, Expect, Kind, Write};
use crate::service::App;
use crate::service::{Principal, require_role, require_unscoped};

/// `POST /api/v1/tokens` body.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    /// `sdk` (servers), `frontend` (web pages and apps: OFREP only) or `admin`.
    pub kind: TokenKind,
    /// Who or what it is for (e.g. `checkout-service`, `alice`).
    pub name: String,
    /// Role of an admin token (required for `admin`, refused for `sdk`).
    #[serde(default)]
    pub role: Option<Role>,
    /// Environment of an SDK or frontend key (required for them, refused for `admin`).
    #[serde(default)]
    pub environment: Option<String>,
    /// The environments an admin token may act in (their flag configurations and
    /// releases); left out, every environment. Refused for keys.
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// The origins (`https://shop.example.com`) whose pages may use a frontend key;
    /// left out, any origin `cors.allowed_origins` lets in. Refused for other kinds.
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
}

/// A token as listed: everything but the secret.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenView {
    /// Public id.
    pub id: String,
    /// Who or what it is for.
    pub name: String,
    /// `sdk`, `frontend` or `admin`.
    pub kind: TokenKind,
    /// Role of an admin token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Environment of an SDK or frontend key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The environments a scoped admin token may act in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// The origins whose pages may use a frontend key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Who issued it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<&TokenRecord> for TokenView {
    fn from(record: &TokenRecord) -> TokenView {
        TokenView {
            id: record.id.clone(),
            name: record.name.clone(),
            kind: record.kind,
            role: record.role,
            environment: record.environment.clone(),
            environments: record.environments.clone(),
            allowed_origins: record.allowed_origins.clone(),
            created_by: record.created_by.clone(),
            created_at: record.created_at,
        }
    }
}

/// A token just issued: the view plus the secret bearer token, shown this once.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct IssuedTokenView {
    /// The token's public fields.
    #[serde(flatten)]
    pub view: TokenView,
    /// The bearer token. It is not stored and cannot be shown again.
    pub token: String,
}

/// Issues a token.
pub(crate) async fn create(
    app: &App,
    principal: &Principal,
    body: &[u8],
) -> Result<IssuedTokenView, ServiceError> {
    require_role(principal, Role::Admin)?;
    require_unscoped(principal, "tokens")?;
    let mut request: NewToken = rollgate_core::validate::parse(body)?;
    let mut errors = Vec::new();
    if request.name.trim().is_empty() || request.name.len() > 128 {
        errors.push(FieldError::new("name", "must be 1 to 128 characters"));
    } else if let Err(message) = check_text(&request.name, Lines::One) {
        errors.push(FieldError::new("name", message));
    }
    let catalog = app.hub.catalog();
    if let Some(origins) = &mut request.allowed_origins {
        if request.kind == TokenKind::Frontend {
            check_origins(&mut errors, origins);
        } else {
            errors.push(FieldError::new(
                "allowed_origins",
                "only frontend keys are used from web pages; leave allowed_origins out",
            ));
        }
    }
    match request.kind {
        TokenKind::Sdk | TokenKind::Frontend => {
            if request.role.is_some() {
                errors.push(FieldError::new(
                    "role",
                    "SDK and frontend keys have no role; they only evaluate",
                ));
            }
            if request.environments.is_some() {
                errors.push(FieldError::new(
                    "environments",
                    "a key evaluates in its one `environment`; `environments` scopes admin tokens",
                ));
            }
            match &request.environment {
                None => errors.push(FieldError::new(
                    "environment",
                    "a key needs the environment it evaluates",
                )),
                Some(env) if !catalog.environments.contains_key(env) => {
                    errors.push(FieldError::new(
                        "environment",
                        format!("unknown environment {env:?}"),
                    ));
                }
                Some(_) => {}
            }
        }
        TokenKind::Admin => {
            if request.role.is_none() {
                errors.push(FieldError::new(
                    "role",
                    "an admin token needs a role: viewer, editor, release_manager or admin",
                ));
            }
            if request.environment.is_some() {
                errors.push(FieldError::new(
                    "environment",
                    "admin tokens are not bound to one environment; scope them with `environments`",
                ));
            }
            if let Some(scope) = &request.environments {
                check_scope(&mut errors, scope, &catalog);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut issued = issue(
        request.kind,
        request.name,
        request.role,
        request.environment.clone(),
        principal.actor(),
        app.clock.now(),
    );
    issued.record.environments = request.environments.clone();
    issued.record.allowed_origins = request.allowed_origins;
    // Every environment named must still exist when the token is written.
    let checks = request
        .environment
        .into_iter()
        .chain(request.environments.into_iter().flatten())
        .map(|env| crate::infra::store::Check {
            kind: Kind::Environment,
            key: env,
            expect: Expect::Present,
        })
        .collect();
    commit(
        app,
        Commit {
            checks,
            ..change_by(
                app,
                principal,
                "token.create",
                vec![Write::put(
                    Kind::Token,
                    issued.record.id.clone(),
                    Expect::Absent,
                    to_body(&issued.record)?,
                )],
            )
        },
    )
    .await?;
    Ok(IssuedTokenView {
        view: TokenView::from(&issued.record),
        token: issued.token,
    })
}

/// The `environments` of a scoped admin token: at least one, each an existing
/// environment, none twice.
fn check_scope(errors: &mut Vec<FieldError>, scope: &[String], catalog: &Catalog) {
    if scope.is_empty() {
        errors.push(FieldError::new(
            "environments",
            "name at least one environment (leave `environments` out for all of them)",
        ));
    }
    for (index, env) in scope.iter().enumerate() {
        let field = format!("environments[{index}]");
        if !catalog.environments.contains_key(env) {
            let known: Vec<&str> = catalog.environments.keys().map(String::as_str).collect();
            errors.push(FieldError::new(
                field,
                format!("unknown environment {env:?}; the environments are {known:?}"),
            ));
        } else if scope[..index].contains(env) {
            errors.push(FieldError::new(field, format!("{env:?} is listed twice")));
        }
    }
}

/// A frontend key's `allowed_origins`: at least one, each an origin (normalized in
/// place, as browsers write it), none twice.
fn check_origins(errors: &mut Vec<FieldError>, origins: &mut [String]) {
    if origins.is_empty() {
        errors.push(FieldError::new(
            "allowed_origins",
            "name at least one origin (leave allowed_origins out for any)",
        ));
    }
    for index in 0..origins.len() {
        let field = format!("allowed_origins[{index}]");
        match crate::infra::config::origin(&origins[index]) {
            Err(message) => errors.push(FieldError::new(field, message)),
            Ok(origin) if origins[..index].contains(&origin) => {
                errors.push(FieldError::new(
                    field,
                    format!("{origin:?} is listed twice"),
                ));
            }
            Ok(origin) => origins[index] = origin,
        }
    }
}

/// All tokens, without secrets.
pub(crate) async fn list(app: &App, principal: &Principal) -> Result<Vec<TokenView>, ServiceError> {
    require_role(principal, Role::Admin)?;
    Ok(read_all::<TokenRecord>(app, Kind::Token)
        .await?
        .iter()
        .map(|t| TokenView::from(&t.doc))
        .collect())
}

/// One token, without its secret.
pub(crate) async fn get(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<TokenView, ServiceError> {
    require_role(principal, Role::Admin)?;
    Ok(TokenView::from(
        &read::<TokenRecord>(app, Kind::Token, id).await?.doc,
    ))
}

/// Revokes a token at once.
pub(crate) async fn revoke(app: &App, principal: &Principal, id: &str) -> Result<(), ServiceError> {
    require_role(principal, Role::Admin)?;
    require_unscoped(principal, "tokens")?;
    commit_at_revision(app, |catalog| {
        let Some(token) = catalog.tokens.get(id) else {
            return Err(ServiceError::NotFound {
                kind: Kind::Token,
                key: id.to_owned(),
            });
        };
        // An admin scoped to environments cannot manage tokens: it does not count.
        let is_admin = |t: &TokenRecord| {
            t.kind == TokenKind::Admin && t.role == Some(Role::Admin) && t.environments.is_none()
        };
        if is_admin(&token.doc) && catalog.tokens.values().filter(|t| is_admin(&t.doc)).count() == 1
        {
            return Err(Conflict::LastAdminToken.into());
        }
        let writes = vec![Write::delete(
            Kind::Token,
            id,
            Expect::Version(token.version),
        )];
        Ok(change_by(app, principal, "token.revoke", writes))
    })
    .await?;
    Ok(())
}
