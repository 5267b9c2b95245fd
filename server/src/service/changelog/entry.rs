//! One release's changelog entry, built from the release document alone: which
//! audiences got which flags' variants, and when.
//!
//! The rules (docs/product.md §6, "The changelog"):
//! - an audience is *delivered* when all of it gets the released variants: a stage of
//!   that audience at 100 % was applied, or the release completed (completion serves
//!   the released variants to everyone, so every ring is delivered then at the latest);
//! - a partial percentage is an *exposure*, not a delivery (internal view only);
//! - a `shadow` release serves control until it completes, so it delivers only then;
//! - a rolled-back release delivers nothing: each earlier delivery is kept with the time
//!   it was withdrawn, so subscribers who read "available to beta" learn it is gone;
//! - a release that never started (draft … approved, cancelled) has no entry in the
//!   changelog (its report still carries one, with status `not_started`).
//!
//! The internal view adds the flags and variants shipped, exposures, the rollback's
//! reason and incidents (with who logged them); the public view has none of those and
//! no actor names: it tells end users the plan's `announcement` (title and Markdown
//! body), or only the release's name and version when the plan has none.

use rollgate_core::release::{Announcement, ReleaseState, Strategy};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::service::releases::{EventKind, Release, TimelineEvent};

/// Which view of the changelog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum View {
    /// For the team: exposures, rollback reasons and incidents included.
    Internal,
    /// For end users: deliveries only.
    Public,
}

/// Where a release's delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not started (or cancelled before starting): nothing delivered.
    NotStarted,
    /// Running or paused: delivered to the audiences listed so far.
    InProgress,
    /// Completed: delivered to everyone.
    Delivered,
    /// Rolled back: nothing delivered; earlier deliveries were withdrawn.
    Withdrawn,
}

/// A flag and the variant the release ships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Feature {
    /// The flag's key.
    pub flag: String,
    /// The released variant.
    pub variant: String,
}

/// An audience that got the release's features in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AudienceDelivery {
    /// The audience (a segment key; `general` is everyone).
    pub audience: String,
    /// When all of it got the features.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub delivered_at: OffsetDateTime,
    /// When the features were taken back (rollback).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// A share of an audience that had the features (internal view).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Exposure {
    /// The audience.
    pub audience: String,
    /// The highest percentage it reached.
    pub percent: f64,
    /// When the audience first got a share.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
}

/// An incident logged on the release (internal view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentNote {
    /// When it was logged.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// What happened.
    pub what: String,
    /// What was done.
    pub action: String,
    /// Who logged it.
    pub by: String,
    /// How bad it is (absent for incidents logged before severities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<rollgate_core::release::Severity>,
    /// Where it stands now (absent for incidents logged before statuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<rollgate_core::release::IncidentStatus>,
}

/// Why and when a release was rolled back (internal view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rollback {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The reason given.
    pub reason: String,
    /// Who rolled it back.
    pub by: String,
}

/// One release in the changelog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangelogEntry {
    /// The release id.
    pub release: String,
    /// The release's name.
    pub name: String,
    /// The version it ships.
    pub release_version: String,
    /// The environment.
    pub environment: String,
    /// Where delivery stands.
    pub status: DeliveryStatus,
    /// What end users are told (the plan's `announcement`), when the plan has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub announcement: Option<Announcement>,
    /// What it ships: flags and variants (internal view; the public view names no flag).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Feature>,
    /// The audiences that got the features in full, in the order they did.
    pub deliveries: Vec<AudienceDelivery>,
    /// When it started.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<OffsetDateTime>,
    /// When it completed or was rolled back.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<OffsetDateTime>,
    /// The last change of this entry (a delivery, the completion or the withdrawal).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Partial shares of audiences (internal view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposures: Option<Vec<Exposure>>,
    /// The rollback (internal view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollback>,
    /// Incidents logged (internal view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<Vec<IncidentNote>>,
}

impl ChangelogEntry {
    /// Whether the entry belongs in the changelog of `view`: started releases for the
    /// team; for end users, only those that delivered something to a whole audience
    /// (including rolled-back ones, so a withdrawal is announced where the delivery was).
    pub(crate) fn listed_in(&self, view: View) -> bool {
        match (view, self.status) {
            (_, DeliveryStatus::NotStarted) => false,
            (View::Internal, _) => true,
            (View::Public, DeliveryStatus::Delivered) => true,
            (View::Public, _) => !self.deliveries.is_empty(),
        }
    }
}

/// The entry of `release` in `view`.
pub(crate) fn entry(release: &Release, view: View) -> ChangelogEntry {
    let mut deliveries: Vec<AudienceDelivery> = Vec::new();
    let mut exposures: Vec<Exposure> = Vec::new();
    let mut incidents = Vec::new();
    let mut rollback = None;
    let mut started_at = None;
    let mut ended_at = None;
    let shadow = release.plan.strategy == Strategy::Shadow;
    let deliver = |deliveries: &mut Vec<AudienceDelivery>, audience: &str, at: OffsetDateTime| {
        if !deliveries.iter().any(|d| d.audience == audience) {
            deliveries.push(AudienceDelivery {
                audience: audience.to_owned(),
                delivered_at: at,
                withdrawn_at: None,
            });
        }
    };
    for event in &release.timeline {
        match event.event {
            EventKind::Started | EventKind::StageAdvanced | EventKind::PercentSet => {
                started_at = started_at.or(Some(event.at));
                let (Some(stage), Some(percent)) = (event.stage, event.percent) else {
                    continue;
                };
                let Some(audience) = release.plan.stages.get(stage).map(|s| &s.audience) else {
                    continue;
                };
                if shadow {
                    continue;
                }
                if percent.is_full() {
                    deliver(&mut deliveries, audience, event.at);
                }
                match exposures.iter_mut().find(|e| &e.audience == audience) {
                    Some(exposure) => exposure.percent = exposure.percent.max(percent.as_f64()),
                    None => exposures.push(Exposure {
                        audience: audience.clone(),
                        percent: percent.as_f64(),
                        from: event.at,
                    }),
                }
            }
            EventKind::Completed => {
                ended_at = Some(event.at);
                for ring in release.plan.rings() {
                    deliver(&mut deliveries, ring.audience, event.at);
                }
            }
            EventKind::RolledBack => {
                ended_at = Some(event.at);
                for delivery in &mut deliveries {
                    delivery.withdrawn_at.get_or_insert(event.at);
                }
                rollback = Some(Rollback {
                    at: event.at,
                    reason: event.comment.clone().unwrap_or_default(),
                    by: event.by.name.clone(),
                });
            }
            EventKind::Incident => {
                let text = |field: &str| detail(event, field).to_owned();
                let tracked = release.incident(detail(event, "id"));
                incidents.push(IncidentNote {
                    at: event.at,
                    what: text("what"),
                    action: text("action"),
                    by: event.by.name.clone(),
                    severity: tracked.map(|i| i.severity),
                    status: tracked.map(|i| i.status),
                });
            }
            _ => {}
        }
    }
    let status = match release.state {
        ReleaseState::Completed => DeliveryStatus::Delivered,
        ReleaseState::RolledBack => DeliveryStatus::Withdrawn,
        ReleaseState::Running | ReleaseState::Paused => DeliveryStatus::InProgress,
        _ => DeliveryStatus::NotStarted,
    };
    let updated_at = deliveries
        .iter()
        .flat_map(|d| [Some(d.delivered_at), d.withdrawn_at])
        .flatten()
        .chain(ended_at)
        .chain(started_at)
        .max()
        .unwrap_or(release.created_at);
    let internal = view == View::Internal;
    ChangelogEntry {
        release: release.id.clone(),
        name: release.plan.name.clone(),
        release_version: release.plan.release_version.clone(),
        environment: release.plan.environment.clone(),
        status,
        announcement: release.plan.announcement.clone(),
        features: if internal {
            features(release)
        } else {
            Vec::new()
        },
        deliveries,
        started_at,
        ended_at,
        updated_at,
        exposures: internal.then_some(exposures),
        rollback: rollback.filter(|_| internal),
        incidents: internal.then_some(incidents),
    }
}

/// The flags a release ships, each with its released variant.
pub(crate) fn features(release: &Release) -> Vec<Feature> {
    release
        .plan
        .flags
        .iter()
        .map(|f| Feature {
            flag: f.key.clone(),
            variant: f.variant.clone(),
        })
        .collect()
}

/// A text field of an event's `details` (an incident's `what` and `action`), or "".
pub(crate) fn detail<'a>(event: &'a TimelineEvent, field: &str) -> &'a str {
    event
        .details
        .as_ref()
        .and_then(|d| d.get(field))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
}

/// The changelog of `releases` in `view`: listed entries, most recently updated first.
pub(crate) fn changelog<'a>(
    releases: impl IntoIterator<Item = &'a Release>,
    view: View,
) -> Vec<ChangelogEntry> {
    let mut entries: Vec<ChangelogEntry> = releases
        .into_iter()
        .map(|release| entry(release, view))
        .filter(|entry| entry.listed_in(view))
        .collect();
    entries.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| a.release.cmp(&b.release))
    });
    entries
}
