//! Environments: namespaces of flag state. Only admins create or delete them, and one
//! in use (configured on a flag, or bound to an SDK key) cannot be deleted.

use rollgate_core::model::Environment;
use rollgate_core::validate::validate_environment;

use super::{
    Conflict, IfMatch, ServiceError, WithVersion, check_path_key, commit, commit_at_revision,
    delete_expectation, expect_for, parse_document, read, read_all, to_body,
};
use crate::infra::auth::Role;
use crate::infra::store::{Commit, Expect, Kind, Write};
use crate::service::App;
use crate::service::{Principal, require_role};

/// All environments.
pub async fn list(
    app: &App,
    principal: &Principal,
) -> Result<Vec<WithVersion<Environment>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read_all(app, Kind::Environment).await
}

/// One environment.
pub async fn get(
    app: &App,
    principal: &Principal,
    key: &str,
) -> Result<WithVersion<Environment>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read(app, Kind::Environment, key).await
}

/// Creates or replaces an environment.
pub async fn put(
    app: &App,
    principal: &Principal,
    key: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<(WithVersion<Environment>, bool), ServiceError> {
    require_role(principal, Role::Admin)?;
    check_path_key("key", key)?;
    let environment: Environment = parse_document(body, key)?;
    let errors = validate_environment(&environment);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let existing = app.hub.catalog().environments.get(key).map(|e| e.version);
    let expect = expect_for(if_match, existing, Kind::Environment, key)?;
    let change = commit(
        app,
        Commit {
            actor: principal.actor(),
            action: "environment.put".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::put(
                Kind::Environment,
                key,
                expect,
                to_body(&environment)?,
            )],
            checks: Vec::new(),
            audited: true,
            expect_revision: None,
        },
    )
    .await?;
    let version = change.entries.first().map_or(1, |e| e.version);
    Ok((
        WithVersion {
            doc: environment,
            version,
        },
        expect == Expect::Absent,
    ))
}

/// Deletes an environment nothing uses (If-Match required).
pub async fn delete(
    app: &App,
    principal: &Principal,
    key: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, Role::Admin)?;
    commit_at_revision(app, |catalog| {
        let Some(existing) = catalog.environments.get(key) else {
            return Err(ServiceError::NotFound {
                kind: Kind::Environment,
                key: key.to_owned(),
            });
        };
        let expect = delete_expectation(if_match, Kind::Environment, key, existing.version)?;
        let flags: Vec<String> = catalog
            .flags
            .values()
            .filter(|f| f.doc.environments.contains_key(key))
            .map(|f| f.doc.key.clone())
            .collect();
        if !flags.is_empty() {
            return Err(Conflict::EnvironmentConfigured {
                environment: key.to_owned(),
                flags,
            }
            .into());
        }
        let keys: Vec<String> = catalog
            .tokens
            .values()
            .filter(|t| t.doc.environment.as_deref() == Some(key))
            .map(|t| t.doc.name.clone())
            .collect();
        if !keys.is_empty() {
            return Err(Conflict::EnvironmentHasKeys {
                environment: key.to_owned(),
                keys,
            }
            .into());
        }
        Ok(Commit {
            actor: principal.actor(),
            action: "environment.delete".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::delete(Kind::Environment, key, expect)],
            checks: Vec::new(),
            audited: true,
            expect_revision: None,
        })
    })
    .await?;
    Ok(())
}
