//! Segments: named audiences. The built-in rings cannot be deleted, and `general`
//! (everyone) cannot be changed.

use rollgate_core::model::{BUILTIN_SEGMENTS, Segment};
use rollgate_core::validate::validate_segment;

use super::{
    Conflict, IfMatch, ServiceError, WithVersion, check_path_key, commit, commit_at_revision,
    delete_expectation, expect_for, parse_document, read, read_all, to_body,
};
use crate::infra::auth::Role;
use crate::infra::store::{Commit, Expect, Kind, Write};
use crate::service::App;
use crate::service::{Principal, require_role};

/// All segments.
pub async fn list(
    app: &App,
    principal: &Principal,
) -> Result<Vec<WithVersion<Segment>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read_all(app, Kind::Segment).await
}

/// One segment.
pub async fn get(
    app: &App,
    principal: &Principal,
    key: &str,
) -> Result<WithVersion<Segment>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read(app, Kind::Segment, key).await
}

/// Creates or replaces a segment.
pub async fn put(
    app: &App,
    principal: &Principal,
    key: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<(WithVersion<Segment>, bool), ServiceError> {
    require_role(principal, Role::Editor)?;
    check_path_key("key", key)?;
    if key == "general" {
        return Err(Conflict::GeneralSegment.into());
    }
    let segment: Segment = parse_document(body, key)?;
    let errors = validate_segment(&segment);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let existing = app.hub.catalog().segments.get(key).map(|s| s.version);
    let expect = expect_for(if_match, existing, Kind::Segment, key)?;
    let change = commit(
        app,
        Commit {
            actor: principal.actor(),
            action: "segment.put".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::put(Kind::Segment, key, expect, to_body(&segment)?)],
            checks: Vec::new(),
            audited: true,
            expect_revision: None,
        },
    )
    .await?;
    let version = change.entries.first().map_or(1, |e| e.version);
    Ok((
        WithVersion {
            doc: segment,
            version,
        },
        expect == Expect::Absent,
    ))
}

/// Deletes a segment no flag uses (If-Match required).
pub async fn delete(
    app: &App,
    principal: &Principal,
    key: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, Role::Editor)?;
    if BUILTIN_SEGMENTS.contains(&key) {
        return Err(Conflict::AudienceRing(key.to_owned()).into());
    }
    commit_at_revision(app, |catalog| {
        let Some(existing) = catalog.segments.get(key) else {
            return Err(ServiceError::NotFound {
                kind: Kind::Segment,
                key: key.to_owned(),
            });
        };
        let expect = delete_expectation(if_match, Kind::Segment, key, existing.version)?;
        let users: Vec<String> = catalog
            .flags
            .values()
            .filter(|f| {
                f.doc
                    .environments
                    .values()
                    .any(|c| c.rules.iter().any(|r| r.segment.as_deref() == Some(key)))
            })
            .map(|f| f.doc.key.clone())
            .collect();
        if !users.is_empty() {
            return Err(Conflict::SegmentInUse {
                segment: key.to_owned(),
                flags: users,
            }
            .into());
        }
        Ok(Commit {
            actor: principal.actor(),
            action: "segment.delete".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::delete(Kind::Segment, key, expect)],
            checks: Vec::new(),
            audited: true,
            expect_revision: None,
        })
    })
    .await?;
    Ok(())
}
