//! Changes that only add to a release's timeline and touch no flag: the readiness
//! checklist, the announcement and the scheduler's note that it could not
//! start the release. Retried on a concurrent change unless the caller sent If-Match.

use rollgate_core::FieldError;
use serde_json::json;

use super::super::bodies::{self, ChecklistRequest};
use super::super::{
    Actor, EventKind, Guarded, Release, TimelineEvent, check_if_match, load, save_guarded,
};
use crate::infra::auth::Role;
use crate::infra::store::Check;
use crate::service::App;
use crate::service::{Conflict, Refusal};
use crate::service::{IfMatch, ServiceError, WithVersion};
use crate::service::{Principal, require_role};

/// Ticks (or unticks) readiness item `index`. Does not touch approvals.
pub(crate) async fn check_item(
    app: &App,
    principal: &Principal,
    id: &str,
    index: usize,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    let request: ChecklistRequest = request_of(app, principal, id, body).await?;
    bodies::text("comment", request.comment.as_deref())?;
    let actor = Actor::of(principal);
    let checks = Vec::new();
    annotate(app, &actor, id, if_match, checks, "release.checklist", |release, now| {
        open_items(release)?;
        let count = release.plan.checklist.len();
        let Some(item) = release.plan.checklist.get_mut(index) else {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                format!("checklist[{index}]"),
                format!("no such item; the checklist has {count} item(s), numbered from 0"),
            )]));
        };
        item.done = request.done;
        let details = json!({ "index": index, "item": item.item, "owner": item.owner, "done": request.done });
        Ok(TimelineEvent {
            comment: request.comment.clone(),
            details: Some(details),
            ..TimelineEvent::new(now, EventKind::ChecklistUpdated, &actor)
        })
    })
    .await
}

/// The body of a change to release `id`, once `principal` is found to be a release
/// manager whose scope covers the release.
pub(super) async fn request_of<T: serde::de::DeserializeOwned>(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
) -> Result<T, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    super::super::require_scope(app, principal, id).await?;
    bodies::read(body)
}

/// A 409 once the release has ended: its checklist, tasks and resources are closed.
pub(super) fn open_items(release: &Release) -> Result<(), ServiceError> {
    if release.state.is_terminal() {
        return Err(Refusal::ChecklistClosed {
            id: release.id.clone(),
            state: release.state,
        }
        .into());
    }
    Ok(())
}

/// Records the announcement (the scheduler calls this at `announce_at`), if the release
/// is still at `version` and the write meets `checks` (the scheduler's lease); returns
/// the release's new version.
pub(crate) async fn announce(
    app: &App,
    actor: &Actor,
    id: &str,
    version: u64,
    checks: Vec<Check>,
) -> Result<u64, ServiceError> {
    let if_match = Some(IfMatch::Version(version));
    annotate(
        app,
        actor,
        id,
        if_match,
        checks,
        "release.announce",
        |release, now| {
            release.announced_at = Some(now);
            Ok(TimelineEvent::new(now, EventKind::Announced, actor))
        },
    )
    .await
    .map(|announced| announced.version)
}

/// Records why the scheduler could not start the release, if it is still at `version`
/// and the write meets `checks` (the scheduler's lease).
pub(crate) async fn note_blocked(
    app: &App,
    actor: &Actor,
    id: &str,
    why: String,
    version: u64,
    checks: Vec<Check>,
) -> Result<(), ServiceError> {
    let if_match = Some(IfMatch::Version(version));
    annotate(
        app,
        actor,
        id,
        if_match,
        checks,
        "release.start_blocked",
        |_, now| {
            Ok(TimelineEvent {
                comment: Some(why.clone()),
                ..TimelineEvent::new(now, EventKind::StartBlocked, actor)
            })
        },
    )
    .await
    .map(drop)
}

/// How often an annotation retries when the release changed under it (safe: it only
/// appends to the timeline and re-checks against the fresh state).
const ANNOTATE_RETRIES: usize = 3;

/// A change that does not touch flags (checklist, incident, announcement): applied to
/// the fresh release, retried on a concurrent change unless the caller sent If-Match,
/// and written only if `checks` hold.
pub(super) async fn annotate(
    app: &App,
    actor: &Actor,
    id: &str,
    if_match: Option<IfMatch>,
    checks: Vec<Check>,
    action: &str,
    mut change: impl FnMut(&mut Release, time::OffsetDateTime) -> Result<TimelineEvent, ServiceError>,
) -> Result<WithVersion<Release>, ServiceError> {
    let mut attempt = 0;
    loop {
        let stored = load(app, id).await?;
        check_if_match(&stored, if_match)?;
        let mut next = stored.release.clone();
        let event = change(&mut next, app.clock.now())?;
        next.timeline.push(event);
        let guarded = Guarded {
            checks: checks.clone(),
            audited: true,
        };
        match save_guarded(
            app,
            actor,
            action,
            Some(&stored),
            next,
            Vec::new(),
            if_match,
            guarded,
        )
        .await
        .map(|saved| saved.release)
        {
            Err(ServiceError::Conflict(Conflict::ReleaseChanged(_)))
                if if_match.is_none() && attempt < ANNOTATE_RETRIES =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}
