//! Webhooks: subscriptions to release events, and their deliveries.
//!
//! Deliveries are an outbox: when a release action commits, the same commit writes one
//! `Kind::Delivery` record per subscribed event ([`deliveries`]), so an event is
//! never lost to a crash between "it happened" and "it was sent". The [`sender`](crate::tasks::webhook_sender) posts
//! pending records — JSON signed with HMAC-SHA256 (see [`signature`]) — and retries
//! with exponential backoff; every attempt is kept on the record, which the API shows.
//!
//! Subscriptions are audited like every other document, with their signing secret left
//! out of every audit answer (`audit::redact`). Their URLs reach public addresses only
//! (`infra::outbound`): a literal private address is refused here, a host name at
//! every delivery.

mod model;
pub(crate) mod signature;

use std::collections::BTreeSet;

use rollgate_core::FieldError;
use rollgate_core::validate::{Lines, check_text, parse};
use serde_json::json;

pub(crate) use model::{
    Attempt, Claim, CreatedSubscription, Delivery, DeliveryState, SUBSCRIBABLE, Subscription,
    SubscriptionRequest, SubscriptionView,
};

use crate::infra::auth::{Role, random_text};
use crate::infra::outbound::{AllowedHosts, check_target};
use crate::infra::store::{Expect, Kind, Write};
use crate::service::App;
use crate::service::releases::{EventKind, Release, TimelineEvent};
use crate::service::{
    IfMatch, ServiceError, WithVersion, check_path_key, expect_required, to_body, write_conflict,
};
use crate::service::{Principal, change_by, require_role, require_unscoped};

/// The delivery records for `events`, just appended to `release`'s timeline, one per
/// active subscription to each event.
pub(crate) async fn deliveries(
    app: &App,
    release: &Release,
    events: &[TimelineEvent],
) -> Result<Vec<Write>, ServiceError> {
    if !events.iter().any(|e| SUBSCRIBABLE.contains(&e.event)) {
        return Ok(Vec::new());
    }
    let subscriptions = read_all(app).await?;
    let first = release.timeline.len().saturating_sub(events.len());
    let mut writes = Vec::new();
    for (offset, event) in events.iter().enumerate() {
        for subscription in subscriptions
            .iter()
            .filter(|s| s.doc.active && s.doc.events.contains(&event.event))
        {
            let id = format!(
                "dlv-{}-{:04}-{}",
                event.at.unix_timestamp_nanos(),
                first + offset,
                random_text(8)
            );
            let body = json!({
                "id": id,
                "type": event.event,
                "occurred_at": event.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "sequence": first + offset,
                "release": {
                    "id": release.id,
                    "name": release.plan.name,
                    "release_version": release.plan.release_version,
                    "environment": release.plan.environment,
                    "strategy": release.plan.strategy,
                    "state": release.state,
                    "current_stage": release.current_stage,
                    "current_percent": release.current_percent,
                    "flags": release.plan.flags,
                    "group": release.plan.group,
                },
                "event": event,
            });
            let delivery = Delivery {
                id: id.clone(),
                webhook: subscription.doc.id.clone(),
                event: event.event,
                release: release.id.clone(),
                body: body.to_string(),
                state: DeliveryState::Pending,
                attempts: Vec::new(),
                claim: None,
                created_at: event.at,
            };
            writes.push(Write::put(
                Kind::Delivery,
                id,
                Expect::Absent,
                to_body(&delivery)?,
            ));
        }
    }
    Ok(writes)
}

/// Creates a subscription; the response carries the secret, once.
pub(crate) async fn create(
    app: &App,
    principal: &Principal,
    body: &[u8],
) -> Result<CreatedSubscription, ServiceError> {
    require_role(principal, Role::Admin)?;
    require_unscoped(principal, "webhooks")?;
    let request: SubscriptionRequest = parse(body)?;
    let events = check(app, &request)?;
    let subscription = Subscription {
        id: format!("whk-{}", random_text(12).to_ascii_lowercase()),
        url: request.url,
        events,
        secret: request.secret.unwrap_or_else(|| random_text(32)),
        description: request.description,
        active: request.active,
        created_by: principal.actor(),
        created_at: app.clock.now(),
    };
    write(
        app,
        principal,
        &subscription,
        Expect::Absent,
        "webhook.create",
    )
    .await?;
    Ok(CreatedSubscription {
        view: SubscriptionView::from(&subscription),
        secret: subscription.secret,
    })
}

/// A subscription as the API shows it: without its secret.
fn view(stored: &WithVersion<Subscription>) -> WithVersion<SubscriptionView> {
    WithVersion {
        doc: SubscriptionView::from(&stored.doc),
        version: stored.version,
    }
}

/// Every subscription (without secrets).
pub(crate) async fn list(
    app: &App,
    principal: &Principal,
) -> Result<Vec<WithVersion<SubscriptionView>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    Ok(read_all(app).await?.iter().map(view).collect())
}

/// One subscription (without its secret).
pub(crate) async fn get(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<WithVersion<SubscriptionView>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    Ok(view(&read(app, id).await?))
}

/// Replaces a subscription (If-Match required); a left-out secret is kept.
pub(crate) async fn replace(
    app: &App,
    principal: &Principal,
    id: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<SubscriptionView>, ServiceError> {
    require_role(principal, Role::Admin)?;
    require_unscoped(principal, "webhooks")?;
    let stored = read(app, id).await?;
    let expect = expect_required(if_match, Kind::Webhook, id, stored.version)?;
    let request: SubscriptionRequest = parse(body)?;
    let events = check(app, &request)?;
    let subscription = Subscription {
        url: request.url,
        events,
        secret: request.secret.unwrap_or(stored.doc.secret),
        description: request.description,
        active: request.active,
        ..stored.doc
    };
    let version = write(app, principal, &subscription, expect, "webhook.replace").await?;
    Ok(WithVersion {
        doc: SubscriptionView::from(&subscription),
        version,
    })
}

/// Deletes a subscription (If-Match required); its pending deliveries fail.
pub(crate) async fn delete(
    app: &App,
    principal: &Principal,
    id: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, Role::Admin)?;
    require_unscoped(principal, "webhooks")?;
    let stored = read(app, id).await?;
    let expect = expect_required(if_match, Kind::Webhook, id, stored.version)?;
    commit(
        app,
        principal,
        vec![Write::delete(Kind::Webhook, id, expect)],
        "webhook.delete",
    )
    .await
    .map(drop)
}

/// The deliveries of one subscription, newest first.
pub(crate) async fn delivery_log(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<Vec<Delivery>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read(app, id).await?;
    let mut log: Vec<Delivery> = read_deliveries(app)
        .await?
        .into_iter()
        .map(|(delivery, _)| delivery)
        .filter(|d| d.webhook == id)
        .collect();
    log.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(log)
}

fn check(app: &App, request: &SubscriptionRequest) -> Result<Vec<EventKind>, ServiceError> {
    let mut errors = Vec::new();
    let allowed = AllowedHosts::new(&app.settings.webhooks.allow_private_hosts);
    match url::Url::parse(&request.url) {
        Ok(url) => {
            if let Err(why) = check_target(&url, &allowed) {
                errors.push(FieldError::new("url", why));
            }
        }
        Err(error) => errors.push(FieldError::new(
            "url",
            format!(
                "{:?} is not an http:// or https:// URL with a host: {error}",
                request.url
            ),
        )),
    }
    if request.url.len() > 2048 {
        errors.push(FieldError::new("url", "must be at most 2048 bytes"));
    }
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    if request.events.is_empty() {
        errors.push(FieldError::new("events", "subscribe to at least one event"));
    }
    for (index, name) in request.events.iter().enumerate() {
        match EventKind::parse(name).filter(|k| SUBSCRIBABLE.contains(k)) {
            Some(kind) if seen.insert(kind) => events.push(kind),
            Some(_) => errors.push(FieldError::new(
                format!("events[{index}]"),
                format!("{name:?} is listed twice"),
            )),
            None => {
                let known: Vec<&str> = SUBSCRIBABLE.iter().map(|k| k.as_str()).collect();
                errors.push(FieldError::new(
                    format!("events[{index}]"),
                    format!("unknown event {name:?}; one of {known:?}"),
                ));
            }
        }
    }
    if let Some(secret) = &request.secret
        && !(16..=256).contains(&secret.len())
    {
        errors.push(FieldError::new(
            "secret",
            "must be 16 to 256 bytes (leave it out to have one generated)",
        ));
    }
    if request.description.len() > rollgate_core::validate::MAX_DESCRIPTION {
        errors.push(FieldError::new("description", "is too long"));
    } else if let Err(message) = check_text(&request.description, Lines::Many) {
        errors.push(FieldError::new("description", message));
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

async fn write(
    app: &App,
    principal: &Principal,
    subscription: &Subscription,
    expect: Expect,
    action: &str,
) -> Result<u64, ServiceError> {
    let writes = vec![Write::put(
        Kind::Webhook,
        subscription.id.clone(),
        expect,
        to_body(subscription)?,
    )];
    let change = commit(app, principal, writes, action).await?;
    Ok(change.entries.first().map_or(1, |e| e.version))
}

async fn commit(
    app: &App,
    principal: &Principal,
    writes: Vec<Write>,
    action: &str,
) -> Result<std::sync::Arc<crate::infra::store::Change>, ServiceError> {
    // Audited like every write: the audit log leaves the signing secret out.
    app.store
        .commit(change_by(app, principal, action, writes))
        .await
        .map_err(write_conflict)
}

async fn read(app: &App, id: &str) -> Result<WithVersion<Subscription>, ServiceError> {
    check_path_key("id", id)?;
    crate::service::read(app, Kind::Webhook, id).await
}

async fn read_all(app: &App) -> Result<Vec<WithVersion<Subscription>>, ServiceError> {
    let documents = app
        .store
        .list(Kind::Webhook)
        .await
        .map_err(ServiceError::from)?;
    documents
        .into_iter()
        .map(|d| {
            Ok(WithVersion {
                doc: serde_json::from_slice(&d.body).map_err(ServiceError::unreadable)?,
                version: d.version,
            })
        })
        .collect()
}

/// Reads every delivery record with its version.
pub(crate) async fn read_deliveries(app: &App) -> Result<Vec<(Delivery, u64)>, ServiceError> {
    let documents = app
        .store
        .list(Kind::Delivery)
        .await
        .map_err(ServiceError::from)?;
    Ok(documents
        .into_iter()
        .filter_map(|d| match serde_json::from_slice::<Delivery>(&d.body) {
            Ok(delivery) => Some((delivery, d.version)),
            Err(error) => {
                tracing::error!(key = d.key, %error, "stored delivery does not parse; skipped");
                None
            }
        })
        .collect())
}
