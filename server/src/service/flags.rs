//! Flags: documents like the others (see [`super::documents`]), checked against the
//! environments and segments they refer to; plus one environment's configuration at a
//! time, and a delete that needs no look at the catalog.

use std::collections::BTreeMap;

use rollgate_core::model::{Flag, FlagConfig};
use rollgate_core::validate::validate_flag;
use rollgate_core::{FieldError, ParseError};

use super::documents::{self, Document};
use super::{
    App, IfMatch, Principal, ServiceError, WithVersion, change_by, commit, expect_for, read,
    require_role,
};
use crate::infra::auth::Role;
use crate::infra::hub::{Catalog, Versioned};
use crate::infra::store::{Check, Expect, Kind, Write};

/// Replaces one environment's configuration of a flag.
pub(crate) async fn put_environment(
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
pub(crate) async fn delete_environment(
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
pub(crate) async fn delete(
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
        change_by(
            app,
            principal,
            "flag.delete",
            vec![Write::delete(Kind::Flag, key, expect)],
        ),
    )
    .await?;
    Ok(())
}

/// Writes a whole flag through the document service, reading a referenced
/// environment or segment that vanished meanwhile as a field error.
async fn write(
    app: &App,
    principal: &Principal,
    flag: Flag,
    expect: Expect,
    action: &str,
) -> Result<(WithVersion<Flag>, bool), ServiceError> {
    let key = flag.key.clone();
    documents::write(app, principal, &key, flag, expect, action)
        .await
        .map_err(|error| match error {
            ServiceError::NotFound { kind, key: gone } if kind != Kind::Flag || gone != key => {
                ServiceError::invalid("environments", format!("{kind} {gone:?} no longer exists"))
            }
            other => other,
        })
}

impl Document for Flag {
    const KIND: Kind = Kind::Flag;
    const WRITER: Role = Role::Editor;

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
