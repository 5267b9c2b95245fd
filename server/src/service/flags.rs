//! Flags: documents like the others (see [`super::documents`]), checked against the
//! environments and segments they refer to; plus one environment's configuration at a
//! time, and a delete that needs no look at the catalog.
//!
//! Every flag write passes two more checks: a token scoped to environments changes
//! only what is confined to them (see [`check_scope`]), and a running or paused release
//! owns its flags in its environment (see [`ownership`]): other writes there are
//! refused, except the kill switch, which pauses the release in the same commit.

use std::collections::BTreeMap;

use rollgate_core::model::{Flag, FlagConfig};
use rollgate_core::validate::validate_flag;
use rollgate_core::{FieldError, ParseError};

use super::documents::{self, Document};
use super::releases::{Actor, ownership};
use super::{
    App, Forbidden, IfMatch, Principal, ServiceError, WithVersion, change_by, check_path_key,
    expect_for, expect_required, read, require_environment, require_role,
};
use crate::infra::auth::Role;
use crate::infra::hub::{Catalog, Versioned};
use crate::infra::store::{Check, Expect, Kind, Write};

/// Creates (no If-Match, absent) or replaces (If-Match) a whole flag. Returns the
/// stored flag and whether it was created.
pub(crate) async fn put(
    app: &App,
    principal: &Principal,
    key: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
    reason: Option<&str>,
) -> Result<(WithVersion<Flag>, bool), ServiceError> {
    require_role(principal, Role::Editor)?;
    check_path_key("key", key)?;
    let flag: Flag = documents::parse_document(body, key)?;
    let current = stored(app, key).await?;
    let expect = expect_for(
        if_match,
        current.as_ref().map(|c| c.version),
        Kind::Flag,
        key,
    )?;
    write(
        app,
        principal,
        current.map(|c| c.doc),
        flag,
        expect,
        "flag.put",
        reason,
    )
    .await
}

/// Replaces one environment's configuration of a flag.
pub(crate) async fn put_environment(
    app: &App,
    principal: &Principal,
    key: &str,
    environment: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
    reason: Option<&str>,
) -> Result<WithVersion<Flag>, ServiceError> {
    require_role(principal, Role::Editor)?;
    require_environment(principal, environment)?;
    let config: FlagConfig = rollgate_core::validate::parse(body)
        .map_err(|error| within_environment(environment, error))?;
    let write = Reconfigure {
        key,
        if_match,
        action: "flag.configure",
        reason,
    };
    reconfigure(app, principal, write, |flag| {
        flag.environments
            .insert(environment.to_owned(), Box::new(config));
        Ok(())
    })
    .await
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
pub(crate) async fn delete_environment(
    app: &App,
    principal: &Principal,
    key: &str,
    environment: &str,
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Flag>, ServiceError> {
    require_role(principal, Role::Editor)?;
    require_environment(principal, environment)?;
    let write = Reconfigure {
        key,
        if_match,
        action: "flag.unconfigure",
        reason: None,
    };
    reconfigure(app, principal, write, |flag| {
        match flag.environments.remove(environment) {
            Some(_) => Ok(()),
            None => Err(ServiceError::NotFound {
                kind: Kind::Environment,
                key: format!("{key}/{environment}"),
            }),
        }
    })
    .await
}

/// A change to one of a flag's environment configurations.
struct Reconfigure<'a> {
    key: &'a str,
    if_match: Option<IfMatch>,
    action: &'static str,
    reason: Option<&'a str>,
}

/// Reads the flag, applies `change` to it and writes it, guarded by the version read.
async fn reconfigure(
    app: &App,
    principal: &Principal,
    write: Reconfigure<'_>,
    change: impl FnOnce(&mut Flag) -> Result<(), ServiceError>,
) -> Result<WithVersion<Flag>, ServiceError> {
    let current = read::<Flag>(app, Kind::Flag, write.key).await?;
    let expect = expect_for(write.if_match, Some(current.version), Kind::Flag, write.key)?;
    let mut flag = current.doc.clone();
    change(&mut flag)?;
    let before = Some(current.doc);
    let (flag, _) = self::write(
        app,
        principal,
        before,
        flag,
        expect,
        write.action,
        write.reason,
    )
    .await?;
    Ok(flag)
}

/// Deletes a flag (If-Match required).
pub(crate) async fn delete(
    app: &App,
    principal: &Principal,
    key: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, Role::Editor)?;
    let Some(current) = stored(app, key).await? else {
        return Err(match if_match {
            Some(IfMatch::Version(expected)) => ServiceError::VersionConflict {
                kind: Kind::Flag,
                key: key.to_owned(),
                expected,
                current: None,
            },
            _ => ServiceError::NotFound {
                kind: Kind::Flag,
                key: key.to_owned(),
            },
        });
    };
    let expect = expect_required(if_match, Kind::Flag, key, current.version)?;
    check_scope(principal, Some(&current.doc), None)?;
    let touched = ownership::check(app, key, Some(&current.doc), None).await?;
    let commit = change_by(
        app,
        principal,
        "flag.delete",
        vec![Write::delete(Kind::Flag, key, expect)],
    );
    let actor = Actor::of(principal);
    ownership::commit(app, commit, touched, &actor, key, None).await?;
    Ok(())
}

/// The flag as stored, if it exists.
async fn stored(app: &App, key: &str) -> Result<Option<WithVersion<Flag>>, ServiceError> {
    match read::<Flag>(app, Kind::Flag, key).await {
        Ok(flag) => Ok(Some(flag)),
        Err(ServiceError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Writes a whole flag, `before` → `flag`: validated among the served documents, within
/// the caller's environments, past the releases that own it (the kill switch pauses
/// them in the same commit); a referenced environment or segment that vanished
/// meanwhile is a field error.
async fn write(
    app: &App,
    principal: &Principal,
    before: Option<Flag>,
    flag: Flag,
    expect: Expect,
    action: &str,
    reason: Option<&str>,
) -> Result<(WithVersion<Flag>, bool), ServiceError> {
    if let Some(reason) = reason {
        text_field("reason", reason)?;
    }
    let key = flag.key.clone();
    check_scope(principal, before.as_ref(), Some(&flag))?;
    let commit = documents::commit_of(app, principal, &key, &flag, expect, action)?;
    let touched = ownership::check(app, &key, before.as_ref(), Some(&flag)).await?;
    let actor = Actor::of(principal);
    let change = ownership::commit(app, commit, touched, &actor, &key, reason)
        .await
        .map_err(|error| match error {
            ServiceError::NotFound { kind, key: gone } if kind != Kind::Flag || gone != key => {
                ServiceError::invalid("environments", format!("{kind} {gone:?} no longer exists"))
            }
            other => other,
        })?;
    let version = change
        .entries
        .iter()
        .find(|e| e.kind == Kind::Flag)
        .map_or(1, |e| e.version);
    Ok((WithVersion { doc: flag, version }, expect == Expect::Absent))
}

/// A reason given with a flag write: free text for the timeline of a release it
/// touches.
fn text_field(field: &str, text: &str) -> Result<(), ServiceError> {
    crate::service::releases::check_text(field, Some(text))
}

/// Checks that a scoped token's write of a flag (`before` → `after`) stays within its
/// environments: the configurations it adds, changes or removes, and — when it changes
/// what every environment shares (variants, description, tags), creates or deletes the
/// flag — every environment the flag is configured in.
fn check_scope(
    principal: &Principal,
    before: Option<&Flag>,
    after: Option<&Flag>,
) -> Result<(), Forbidden> {
    if principal.scope().is_none() {
        return Ok(());
    }
    let configured = |flag: Option<&Flag>| -> Vec<String> {
        flag.map(|f| f.environments.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut environments: Vec<String> = configured(before);
    environments.extend(configured(after));
    environments.sort();
    environments.dedup();
    let shared = match (before, after) {
        (Some(b), Some(a)) => {
            b.variants != a.variants || b.description != a.description || b.tags != a.tags
        }
        _ => true,
    };
    let config = |flag: Option<&Flag>, env: &str| {
        flag.and_then(|f| f.environments.get(env))
            .map(|c| FlagConfig::clone(c))
    };
    for environment in &environments {
        if shared || config(before, environment) != config(after, environment) {
            require_environment(principal, environment)?;
        }
    }
    Ok(())
}

impl Document for Flag {
    const KIND: Kind = Kind::Flag;
    const WRITER: Role = Role::Editor;
    const SHARED: &'static str = "flags";

    fn served(catalog: &Catalog) -> &BTreeMap<String, Versioned<Flag>> {
        &catalog.flags
    }

    fn served_mut(catalog: &mut Catalog) -> &mut BTreeMap<String, Versioned<Flag>> {
        &mut catalog.flags
    }

    fn validate_in(&self, catalog: &Catalog) -> Vec<FieldError> {
        validate_flag(self, &catalog.references())
    }

    /// Every environment it is configured in and every segment its rules use.
    fn references(&self) -> Vec<Check> {
        let mut checks: Vec<Check> = self
            .environments
            .keys()
            .map(|env| Check {
                kind: Kind::Environment,
                key: env.clone(),
                expect: Expect::Present,
            })
            .collect();
        let mut segments: Vec<&str> = self
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
        checks
    }
}
