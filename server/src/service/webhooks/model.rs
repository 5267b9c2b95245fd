//! Webhook subscriptions and delivery records, as stored and as shown.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::service::releases::EventKind;

/// The release events a webhook can subscribe to.
pub(crate) const SUBSCRIBABLE: [EventKind; 18] = [
    EventKind::Approved,
    EventKind::Announced,
    EventKind::Started,
    EventKind::StageAdvanced,
    EventKind::PercentSet,
    EventKind::Paused,
    EventKind::Resumed,
    EventKind::RolledBack,
    EventKind::Completed,
    EventKind::Cancelled,
    EventKind::Incident,
    EventKind::FlagDisabled,
    EventKind::TaskOverdue,
    EventKind::WatchRegression,
    EventKind::WatchEnded,
    EventKind::IncidentUpdated,
    EventKind::RiskAdded,
    EventKind::RiskUpdated,
];

/// A subscription as stored: with its signing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Subscription {
    /// Its id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<EventKind>,
    /// The HMAC-SHA256 key of the `Rollgate-Signature` header.
    pub secret: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Inactive subscriptions receive nothing.
    pub active: bool,
    /// Who created it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `POST /api/v1/webhooks` and `PUT /api/v1/webhooks/{id}`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubscriptionRequest {
    /// Where events are POSTed (`http://` or `https://`).
    pub url: String,
    /// The events to receive: `approved`, `announced`, `started`, `stage_advanced`,
    /// `percent_set`, `paused`, `resumed`, `rolled_back`, `completed`, `cancelled`,
    /// `incident`, `flag_disabled`, `task_overdue`, `incident_updated`, `risk_added`,
    /// `risk_updated`.
    pub events: Vec<String>,
    /// The signing secret (16 to 256 bytes); generated when left out on creation and
    /// kept when left out on replacement.
    #[serde(default)]
    pub secret: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Default true.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A subscription as shown: never the secret.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SubscriptionView {
    /// Its id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<EventKind>,
    /// Free text.
    pub description: String,
    /// Whether it receives events.
    pub active: bool,
    /// Who created it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> SubscriptionView {
        SubscriptionView {
            id: s.id.clone(),
            url: s.url.clone(),
            events: s.events.clone(),
            description: s.description.clone(),
            active: s.active,
            created_by: s.created_by.clone(),
            created_at: s.created_at,
        }
    }
}

/// A subscription just created: the view plus its secret, shown this once.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedSubscription {
    /// The subscription.
    #[serde(flatten)]
    pub view: SubscriptionView,
    /// The signing secret.
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DeliveryState {
    /// Not yet accepted by the receiver; retried with backoff.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up after the last attempt (or the subscription is gone).
    Failed,
}

/// One event for one subscription, with every attempt to deliver it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Delivery {
    /// Its id (also in the payload and the `Rollgate-Delivery` header).
    pub id: String,
    /// The subscription.
    pub webhook: String,
    /// The event.
    pub event: EventKind,
    /// The release it is about.
    pub release: String,
    /// The JSON body sent, byte for byte on every attempt.
    pub body: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Every attempt, oldest first.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// The attempt in flight: the replica sending it claimed the delivery until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// When the event happened.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A replica's claim on a delivery while it sends it: no other replica sends it before
/// `until`. A claim left behind by a replica that died mid-attempt lapses then, and the
/// delivery is attempted again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Claim {
    /// The replica sending it.
    pub by: String,
    /// When the claim lapses.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub until: OffsetDateTime,
}

/// One attempt to deliver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct Attempt {
    /// When it was sent.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}
