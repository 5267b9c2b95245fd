//! Setting the percentage of the current stage's audience by hand (never lower: roll
//! back instead; always 100 for blue/green).

use rollgate_core::release::{Percent, Position, Step, Strategy};
use serde_json::json;

use super::super::bodies::{self, PercentRequest};
use super::super::rollout::{CurrentFlags, Target, flag_writes};
use super::super::{Actor, EventKind, Release, TimelineEvent, check_if_match, load, save};
use super::position::place;
use super::step;
use crate::infra::auth::Role;
use crate::service::App;
use crate::service::Refusal;
use crate::service::{IfMatch, ServiceError, WithVersion};
use crate::service::{Principal, require_role};

/// Sets the percentage of the current stage's audience (never lower than it is).
pub(crate) async fn set_percent(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Release>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    super::super::require_scope(app, principal, id).await?;
    let request: PercentRequest = bodies::read(body)?;
    bodies::text("comment", request.comment.as_deref())?;
    let invalid = |message: String| ServiceError::invalid("percent", message);
    let percent = Percent::from_percent(request.percent)
        .filter(|p| *p > Percent::ZERO)
        .ok_or_else(|| {
            invalid(format!(
                "{} is not a percentage above 0 and at most 100 with at most two decimals",
                request.percent
            ))
        })?;
    let actor = Actor::of(principal);
    let stored = load(app, id).await?;
    check_if_match(&stored, if_match)?;
    let current = &stored.release;
    step(current, Step::SetPercent)?;
    let Some(position) = current.position() else {
        return Err(Refusal::NotStarted.into());
    };
    if percent < position.percent {
        return Err(invalid(format!(
            "{percent} is below the current {}: lowering it would take the feature away from users who have it; roll back instead",
            position.percent
        )));
    }
    if current.plan.strategy == Strategy::BlueGreen && !percent.is_full() {
        return Err(invalid(
            "blue_green switches whole audiences: the percentage is always 100".to_owned(),
        ));
    }
    let now = app.clock.now();
    let read = CurrentFlags::read(app, current).await?;
    super::refuse_disabled(current, &read)?;
    let mut next = current.clone();
    let target = Position {
        stage: position.stage,
        percent,
    };
    let flags = flag_writes(&next, &read, Target::Stage(target))?;
    place(&mut next, target, now);
    next.timeline.push(TimelineEvent {
        stage: Some(target.stage),
        percent: Some(percent),
        comment: request.comment,
        details: Some(json!({ "from": position.percent })),
        ..TimelineEvent::new(now, EventKind::PercentSet, &actor)
    });
    save(
        app,
        &actor,
        "release.percent",
        Some(&stored),
        next,
        flags,
        if_match,
    )
    .await
}
