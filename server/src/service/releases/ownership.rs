//! A running or paused release owns its flags in its environment: their configuration
//! there is what the release's stage implies, and nobody else writes it. Every write to
//! a flag (the whole flag, one environment's configuration, a delete) is checked here
//! against the releases that drive it:
//!
//! - a write that leaves the owned configuration and the values of the released and
//!   control variants as they are goes ahead (other environments, descriptions, tags,
//!   new variants);
//! - the **kill switch** — the configuration exactly as it was but `enabled: false` —
//!   goes ahead for anyone who may edit flags: the release is paused in the same
//!   commit and its timeline gets a `flag_disabled` event (who, when, and the reason
//!   the caller gave);
//! - switching it back on (`enabled: true` and nothing else) goes ahead too, with a
//!   `flag_enabled` event; the release stays paused until a release manager resumes it;
//! - anything else is a `409` naming the release and its actions.
//!
//! The flag write and the release writes are one commit, guarded by the versions read,
//! so a release that starts or moves meanwhile makes the write fail rather than slip
//! past the check.

use std::sync::Arc;

use rollgate_core::model::{Flag, FlagConfig};
use rollgate_core::release::ReleaseState;
use serde_json::json;

use super::{Actor, EventKind, Release, Stored, TimelineEvent, read_all};
use crate::infra::store::{Change, Commit, Expect, Kind, StoreError, Write};
use crate::service::{App, Conflict, Owned, ServiceError, to_body, write_conflict};

/// What a permitted write does to a release that owns the flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Switch {
    /// The kill switch: the flag is disabled, the release pauses.
    Off,
    /// The flag is enabled again; the release stays as it is.
    On,
}

/// A release the write touches, and how.
pub(crate) struct Touched {
    release: Stored,
    switch: Switch,
}

/// The releases that drive `key`: running or paused, with the flag in their plan.
async fn owners(app: &App, key: &str) -> Result<Vec<Stored>, ServiceError> {
    Ok(read_all(app)
        .await?
        .into_iter()
        .filter(|s| s.release.state.is_active())
        .filter(|s| s.release.plan.flags.iter().any(|f| f.key == key))
        .collect())
}

/// Checks a write of flag `key` from `before` to `after` (`None`: absent or deleted)
/// against the releases that own it; returns the releases a permitted write touches.
pub(crate) async fn check(
    app: &App,
    key: &str,
    before: Option<&Flag>,
    after: Option<&Flag>,
) -> Result<Vec<Touched>, ServiceError> {
    let mut touched = Vec::new();
    for release in owners(app, key).await? {
        let plan = &release.release.plan;
        let environment = &plan.environment;
        let refuse = |what: String, field: String| -> ServiceError {
            Conflict::OwnedByRelease(Box::new(Owned {
                flag: key.to_owned(),
                environment: environment.clone(),
                release: release.release.id.clone(),
                name: plan.name.clone(),
                state: release.release.state,
                what,
                field,
            }))
            .into()
        };
        let config = |flag: Option<&Flag>| -> Option<FlagConfig> {
            flag.and_then(|f| f.environments.get(environment))
                .map(|c| FlagConfig::clone(c))
        };
        let Some(after_flag) = after else {
            return Err(refuse(
                "the flag would be deleted".to_owned(),
                "key".to_owned(),
            ));
        };
        let (old, new) = (config(before), config(after));
        let Some(new) = new else {
            return Err(refuse(
                format!("its configuration in {environment} would be removed"),
                format!("environments.{environment}"),
            ));
        };
        let released = plan.flags.iter().find(|f| f.key == key);
        let control = old.as_ref().map(|c| c.off_variant.as_str());
        for variant in released
            .map(|f| f.variant.as_str())
            .into_iter()
            .chain(control)
        {
            let value = |flag: Option<&Flag>| flag.and_then(|f| f.variants.get(variant)).cloned();
            if value(before) != value(Some(after_flag)) {
                return Err(refuse(
                    format!(
                        "the value of variant {variant:?}, which the release serves, would change"
                    ),
                    format!("variants.{variant}"),
                ));
            }
        }
        let Some(old) = old else {
            return Err(refuse(
                format!("it has no configuration in {environment} to change"),
                format!("environments.{environment}"),
            ));
        };
        if old == new {
            continue;
        }
        let only_enabled = FlagConfig {
            enabled: old.enabled,
            ..new.clone()
        } == old;
        let switch = match (only_enabled, new.enabled) {
            (true, false) => Switch::Off,
            (true, true) => Switch::On,
            (false, _) => {
                return Err(refuse(
                    format!("its configuration in {environment} would change"),
                    format!("environments.{environment}"),
                ));
            }
        };
        touched.push(Touched { release, switch });
    }
    Ok(touched)
}

/// Checks a write of flag `key` that cannot pause a release on its way (an import):
/// what [`check`] refuses is refused, and so are the kill switch and switching back on,
/// which only a flag write of their own records on the release's timeline.
pub(crate) async fn refuse_owned(
    app: &App,
    key: &str,
    before: Option<&Flag>,
    after: Option<&Flag>,
) -> Result<(), ServiceError> {
    let Some(touched) = check(app, key, before, after).await?.into_iter().next() else {
        return Ok(());
    };
    let release = &touched.release.release;
    let environment = release.plan.environment.clone();
    Err(Conflict::OwnedByRelease(Box::new(Owned {
        flag: key.to_owned(),
        field: format!("environments.{environment}.enabled"),
        environment,
        release: release.id.clone(),
        name: release.plan.name.clone(),
        state: release.state,
        what: "an import would switch it; switch it with the flag's own configuration instead"
            .to_owned(),
    }))
    .into())
}

/// Commits a flag write with what it does to the releases it touches: each paused (if
/// running) with a `flag_disabled` event, or given a `flag_enabled` event, guarded by
/// the release's version and with the webhook deliveries of the new events. Waits until
/// the change is served.
pub(crate) async fn commit(
    app: &App,
    mut commit: Commit,
    touched: Vec<Touched>,
    actor: &Actor,
    flag: &str,
    reason: Option<&str>,
) -> Result<Arc<Change>, ServiceError> {
    if touched.is_empty() {
        return crate::service::commit(app, commit).await;
    }
    let now = commit.at;
    for Touched { release, switch } in touched {
        let current = &release.release;
        let mut next = current.clone();
        let at_stage = |event: EventKind| TimelineEvent {
            stage: current.current_stage,
            percent: current.position().map(|p| p.percent),
            comment: reason.map(str::to_owned),
            details: Some(json!({ "flag": flag, "environment": current.plan.environment })),
            ..TimelineEvent::new(now, event, actor)
        };
        match switch {
            Switch::Off => {
                next.timeline.push(at_stage(EventKind::FlagDisabled));
                if current.state == ReleaseState::Running {
                    next.state = ReleaseState::Paused;
                    next.timeline.push(TimelineEvent {
                        from: Some(ReleaseState::Running),
                        to: Some(ReleaseState::Paused),
                        comment: Some(format!("flag {flag} disabled (kill switch)")),
                        details: None,
                        ..at_stage(EventKind::Paused)
                    });
                }
            }
            Switch::On => next.timeline.push(at_stage(EventKind::FlagEnabled)),
        }
        let new_events = &next.timeline[current.timeline.len()..];
        commit
            .writes
            .extend(crate::service::webhooks::deliveries(app, &next, new_events).await?);
        commit.writes.push(Write::put(
            Kind::Release,
            next.id.clone(),
            Expect::Version(release.version),
            to_body(&next)?,
        ));
    }
    let change = app
        .store
        .commit(commit)
        .await
        .map_err(|error| match error {
            StoreError::Conflict {
                kind: Kind::Release,
                key,
                ..
            } => Conflict::ReleaseChanged(key).into(),
            other => write_conflict(other),
        })?;
    if tokio::time::timeout(super::stored::SERVE_WAIT, app.hub.wait_for(change.revision))
        .await
        .is_err()
    {
        tracing::warn!(
            revision = change.revision,
            "flag write committed but not yet served after 5 s"
        );
    }
    app.wake.changed();
    Ok(change)
}

/// Is one of `release`'s flags disabled in its environment? Resume, promote and a new
/// percentage would write it enabled again, so they are refused until someone enables
/// it by an explicit write (or the release is rolled back).
pub(crate) fn disabled_flag(
    release: &Release,
    flags: &super::rollout::CurrentFlags,
) -> Option<String> {
    release.plan.flags.iter().find_map(|released| {
        let (flag, _) = flags.0.get(&released.key)?;
        let config = flag.environments.get(&release.plan.environment)?;
        (!config.enabled).then(|| released.key.clone())
    })
}
