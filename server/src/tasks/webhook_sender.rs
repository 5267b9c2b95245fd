//! The sender: posts pending deliveries and records every attempt.
//!
//! Each pass reads the pending records, posts those whose backoff is over, and writes
//! the outcome back (guarded by the record's version, so two replicas never record the
//! same attempt twice). A 2xx delivers; anything else is retried after
//! `retry_initial × 2^(attempt−1)`, capped at `retry_max`, until `max_attempts`. The
//! backoff runs on the monotonic clock — it is about the receiver's recovery, not
//! about business time — and restarts from zero after a restart (pending records are
//! in the store, so nothing is lost).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::infra::outbound::{AllowedHosts, PublicResolver, chain, check_target};
use crate::infra::store::{Commit, Expect, Kind, StoreError, Write};
use crate::service::App;
use crate::service::webhooks::signature;
use crate::service::webhooks::{Attempt, Delivery, DeliveryState, Subscription};
use crate::service::{ServiceError, to_body};

/// How long to sleep when nothing is scheduled (a nudge ends it earlier).
const IDLE: Duration = Duration::from_secs(60);

/// Runs until `shutdown` flips.
pub(crate) async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let settings = &app.settings.webhooks;
    let allowed = AllowedHosts::new(&settings.allow_private_hosts);
    // Public addresses only (infra::outbound): the resolver hands the connector only the
    // addresses it checked, and neither a redirect nor a proxy may connect elsewhere.
    let client = match reqwest::Client::builder()
        .timeout(settings.timeout)
        .user_agent(concat!("rollgate/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(PublicResolver::new(allowed)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook sender cannot start; no webhooks will be sent");
            return;
        }
    };
    let mut backoff: HashMap<String, Instant> = HashMap::new();
    loop {
        // A pass is dropped mid-way on shutdown: a delivery sent but not yet recorded is
        // sent again after the restart (at least once; receivers dedupe on its id).
        let outcome = tokio::select! {
            outcome = pass(&app, &client, &mut backoff) => outcome,
            _ = shutdown.changed() => return,
        };
        let next = match outcome {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "webhook sender pass failed; retrying");
                Some(Instant::now() + Duration::from_secs(1))
            }
        };
        let sleep = next.map_or(IDLE, |at| at.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = app.wake.deliveries.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One pass; returns when the next backoff ends, if any is running.
async fn pass(
    app: &App,
    client: &reqwest::Client,
    backoff: &mut HashMap<String, Instant>,
) -> Result<Option<Instant>, ServiceError> {
    let mut pending: Vec<(Delivery, u64)> = crate::service::webhooks::read_deliveries(app)
        .await?
        .into_iter()
        .filter(|(d, _)| d.state == DeliveryState::Pending)
        .collect();
    pending.sort_by(|(a, _), (b, _)| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    backoff.retain(|id, _| pending.iter().any(|(d, _)| d.id == *id));
    if pending.is_empty() {
        return Ok(None);
    }
    let subscriptions: HashMap<String, Subscription> = app
        .store
        .list(Kind::Webhook)
        .await
        .map_err(ServiceError::from)?
        .into_iter()
        .filter_map(|d| serde_json::from_slice::<Subscription>(&d.body).ok())
        .map(|s| (s.id.clone(), s))
        .collect();
    let settings = &app.settings.webhooks;
    let mut next: Option<Instant> = None;
    for (mut delivery, version) in pending {
        if let Some(at) = backoff.get(&delivery.id).filter(|at| **at > Instant::now()) {
            next = Some(next.map_or(*at, |n| n.min(*at)));
            continue;
        }
        let now = app.clock.now();
        let (attempt, gave_up_early) = match subscriptions.get(&delivery.webhook) {
            None => (refused(now, "the subscription was deleted"), true),
            Some(s) if !s.active => (refused(now, "the subscription is inactive"), true),
            Some(subscription) => match target(app, &subscription.url) {
                Err(why) => (refused(now, &why), true),
                Ok(()) => (send(app, client, subscription, &delivery).await, false),
            },
        };
        let delivered = attempt.status.is_some_and(|s| (200..300).contains(&s));
        delivery.attempts.push(attempt);
        delivery.state = if delivered {
            DeliveryState::Delivered
        } else if gave_up_early || delivery.attempts.len() >= settings.max_attempts as usize {
            DeliveryState::Failed
        } else {
            let exponent = (delivery.attempts.len() - 1).min(30) as u32;
            let wait = settings
                .retry_initial
                .saturating_mul(1 << exponent)
                .min(settings.retry_max);
            let at = Instant::now() + wait;
            backoff.insert(delivery.id.clone(), at);
            next = Some(next.map_or(at, |n| n.min(at)));
            DeliveryState::Pending
        };
        record(app, &delivery, version).await?;
    }
    Ok(next)
}

/// Whether `url` may be posted to now: a subscription stored before its address was
/// refused, or before the settings changed, is checked again.
fn target(app: &App, url: &str) -> Result<(), String> {
    let allowed = AllowedHosts::new(&app.settings.webhooks.allow_private_hosts);
    let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    check_target(&url, &allowed)
}

fn refused(at: time::OffsetDateTime, why: &str) -> Attempt {
    Attempt {
        at,
        status: None,
        error: Some(why.to_owned()),
        duration_ms: 0,
    }
}

async fn send(
    app: &App,
    client: &reqwest::Client,
    subscription: &Subscription,
    delivery: &Delivery,
) -> Attempt {
    let at = app.clock.now();
    let started = Instant::now();
    let header = signature::sign(
        &subscription.secret,
        at.unix_timestamp(),
        delivery.body.as_bytes(),
    );
    let result = client
        .post(&subscription.url)
        .header("Content-Type", "application/json")
        .header(signature::HEADER, header)
        .header("Rollgate-Event", delivery.event.as_str())
        .header("Rollgate-Delivery", &delivery.id)
        .body(delivery.body.clone())
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(response) => {
            let status = response.status();
            let error = match status {
                s if s.is_success() => None,
                s if s.is_redirection() => Some(format!(
                    "the receiver answered {s}; redirects are not followed"
                )),
                s => Some(format!("the receiver answered {s}")),
            };
            Attempt {
                at,
                status: Some(status.as_u16()),
                error,
                duration_ms,
            }
        }
        Err(error) => Attempt {
            at,
            status: None,
            error: Some(chain(&error.without_url())),
            duration_ms,
        },
    }
}

async fn record(app: &App, delivery: &Delivery, version: u64) -> Result<(), ServiceError> {
    let result = app
        .store
        .commit(Commit {
            actor: "system:webhooks".to_owned(),
            action: "webhook.delivery".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::put(
                Kind::Delivery,
                delivery.id.clone(),
                Expect::Version(version),
                to_body(delivery)?,
            )],
            checks: Vec::new(),
            audited: false,
            expect_revision: None,
        })
        .await;
    match result {
        Ok(_) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(other) => Err(ServiceError::from(other)),
    }
}
