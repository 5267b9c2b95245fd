//! Flags: create, replace, read, delete, and one environment's configuration at a time.

use rollgate_core::model::{Flag, FlagConfig};
use rollgate_core::validate::validate_flag;
use rollgate_core::{FieldError, ParseError};

use super::{
    IfMatch, ServiceError, WithVersion, check_path_key, commit, expect_for, parse_document, read,
    read_all, to_body,
};
use crate::infra::auth::Role;
use crate::infra::store::{Check, Commit, Expect, Kind, Write};
use crate::service::App;
use crate::service::{Principal, require_role};

/// All flags, by key.
pub async fn list(
    app: &App,
    principal: &Principal,
) -> Result<Vec<WithVersion<Flag>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read_all(app, Kind::Flag).await
}

/// One flag.
pub async fn get(
    app: &App,
    principal: &Principal,
    key: &str,
) -> Result<WithVersion<Flag>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read(app, Kind::Flag, key).await
}

/// Creates (no If-Match, absent) or replaces (If-Match) a flag. Returns the stored flag
/// and whether it was created.
pub async fn put(
    app: &App,
    principal: &Principal,
    key: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<(WithVersion<Flag>, bool), ServiceError> {
    require_role(principal, Role::Editor)?;
    check_path_key("key", key)?;
    let flag: Flag = parse_document(body, key)?;
    let existing = app.hub.catalog().flags.get(key).map(|f| f.version);
    let expect = expect_for(if_match, existing, Kind::Flag, key)?;
    write(app, principal, flag, expect, "flag.put").await
}

/// Replaces one environment's configuration of a flag.
pub async fn put_environment(
    app: &App,
    principal: &Principal,
    key: &str,
    environment: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Flag>, ServiceError> {
    require_role(principal, Role::Editor)?;
    let config: FlagConfig = rollgate_core::validate::parse(body)
        .map_err(|error| within_environment(environment, error))?;
    let current = read::<Flag>(app, Kind::Flag, key).await?;
    let expect = expect_for(if_match, Some(current.version), Kind::Flag, key)?;
    let mut flag = current.doc;
    flag.environments
        .insert(environment.to_owned(), Box::new(config));
    Ok(write(app, principal, flag, expect, "flag.configure")
        .await?
        .0)
}

/// Names the fields of a configuration body by their path in the flag
/// (`environments.{environment}.…`), as the validation of the whole flag does.
fn within_environment(environment: &str, error: ParseError) -> ServiceError {
    let place = |error: FieldError| {
        let field = match error.field.as_str() {
            "" => format!("environments.{environment}"),
            field => format!("environments.{environment}.{field}"),
        };
        FieldError { field, ..error }
    };
    match error {
        // A syntax error that serde could not place stays unplaced.
        ParseError::Syntax(error) if error.field.is_empty() => ServiceError::Malformed(error),
        ParseError::Syntax(error) => ServiceError::Malformed(place(error)),
        ParseError::Invalid(errors) => {
            ServiceError::Invalid(errors.into_iter().map(place).collect())
        }
    }
}

/// Removes one environment's configuration of a flag (it then evaluates as not found
/// there).
pub async fn delete_environment(
    app: &App,
    principal: &Principal,
    key: &str,
    environment: &str,
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Flag>, ServiceError> {
    require_role(principal, Role::Editor)?;
    let current = read::<Flag>(app, Kind::Flag, key).await?;
    let expect = expect_for(if_match, Some(current.version), Kind::Flag, key)?;
    let mut flag = current.doc;
    if flag.environments.remove(environment).is_none() {
        return Err(ServiceError::NotFound {
            kind: Kind::Environment,
            key: format!("{key}/{environment}"),
        });
    }
    Ok(write(app, principal, flag, expect, "flag.unconfigure")
        .await?
        .0)
}

/// Deletes a flag (If-Match required).
pub async fn delete(
    app: &App,
    principal: &Principal,
    key: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, Role::Editor)?;
    let existing = app.hub.catalog().flags.get(key).map(|f| f.version);
    let expect = match if_match {
        Some(IfMatch::Version(v)) => Expect::Version(v),
        Some(IfMatch::Any) => Expect::Present,
        None => {
            return Err(match existing {
                Some(current) => ServiceError::VersionRequired {
                    kind: Kind::Flag,
                    key: key.to_owned(),
                    current,
                },
                None => ServiceError::NotFound {
                    kind: Kind::Flag,
                    key: key.to_owned(),
                },
            });
        }
    };
    commit(
        app,
        Commit {
            actor: principal.actor(),
            action: "flag.delete".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::delete(Kind::Flag, key, expect)],
            checks: Vec::new(),
            audited: true,
            expect_revision: None,
        },
    )
    .await?;
    Ok(())
}

/// Validates and writes a whole flag; the commit also checks that every environment
/// and segment it references still exists.
pub async fn write(
    app: &App,
    principal: &Principal,
    flag: Flag,
    expect: Expect,
    action: &str,
) -> Result<(WithVersion<Flag>, bool), ServiceError> {
    let catalog = app.hub.catalog();
    let errors = validate_flag(&flag, &catalog.references());
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut checks: Vec<Check> = flag
        .environments
        .keys()
        .map(|env| Check {
            kind: Kind::Environment,
            key: env.clone(),
            expect: Expect::Present,
        })
        .collect();
    let mut segments: Vec<&str> = flag
        .environments
        .values()
        .flat_map(|config| {
            config
                .rules
                .iter()
                .filter_map(|rule| rule.segment.as_deref())
        })
        .collect();
    segments.sort_unstable();
    segments.dedup();
    checks.extend(segments.into_iter().map(|s| Check {
        kind: Kind::Segment,
        key: s.to_owned(),
        expect: Expect::Present,
    }));
    let change = commit(
        app,
        Commit {
            actor: principal.actor(),
            action: action.to_owned(),
            at: app.clock.now(),
            writes: vec![Write::put(
                Kind::Flag,
                flag.key.clone(),
                expect,
                to_body(&flag)?,
            )],
            checks,
            audited: true,
            expect_revision: None,
        },
    )
    .await
    .map_err(|error| reference_vanished(error, &flag.key))?;
    let version = change.entries.first().map_or(1, |e| e.version);
    Ok((WithVersion { doc: flag, version }, expect == Expect::Absent))
}

/// A check on a referenced document failed: it was deleted while this write ran.
fn reference_vanished(error: ServiceError, flag: &str) -> ServiceError {
    match error {
        ServiceError::NotFound { kind, key } if kind != Kind::Flag || key != flag => {
            ServiceError::invalid("environments", format!("{kind} {key:?} no longer exists"))
        }
        other => other,
    }
}
