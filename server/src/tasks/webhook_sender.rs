//! The sender: posts pending deliveries and records every attempt.
//!
//! One replica sends at a time: the holder of the `webhooks` lease, taken only while
//! deliveries are pending. Each attempt is claimed before it is sent — the delivery
//! record is written with a [`Claim`] (this replica, until when), guarded by the
//! record's version and fenced by the lease — and sent only if that commit succeeds
//! and the lease is still held; the outcome is then recorded on the claimed version.
//! So two replicas never send the same attempt, and a deposed leader cannot start one:
//! its claim is refused.
//!
//! What remains is at-least-once, and only across a crash: a replica that dies after
//! the receiver got a delivery but before the outcome was recorded leaves a claim that
//! lapses (`webhooks.timeout` + [`CLAIM_MARGIN`] after it was taken), and the delivery
//! is then sent again. Receivers dedupe on `Rollgate-Delivery`.
//!
//! A 2xx delivers; anything else is retried after `retry_initial × 2^(attempt−1)`,
//! capped at `retry_max`, until `max_attempts`. The backoff runs on the monotonic clock
//! — it is about the receiver's recovery, not about business time — and restarts from
//! zero after a restart or a change of sender (pending records are in the store, so
//! nothing is lost).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::lease::Lease;
use crate::infra::outbound::{AllowedHosts, PublicResolver, chain, check_target};
use crate::infra::store::{Check, Commit, Expect, Kind, StoreError, Write};
use crate::service::App;
use crate::service::webhooks::signature;
use crate::service::webhooks::{Attempt, Claim, Delivery, DeliveryState, Subscription};
use crate::service::{ServiceError, to_body};

/// How long to sleep when nothing is scheduled (a nudge ends it earlier).
const IDLE: Duration = Duration::from_secs(60);

/// The sender's name as a lease and an actor.
pub(crate) const TASK: &str = "webhooks";

/// How much longer than one attempt's timeout a claim lasts: time to record the outcome.
pub(crate) const CLAIM_MARGIN: Duration = Duration::from_secs(5);

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
    let mut sender = Sender {
        lease: Lease::of_task(&app, TASK),
        client,
        backoff: HashMap::new(),
    };
    loop {
        // A pass is dropped mid-way on shutdown: a delivery sent but not yet recorded is
        // sent again once its claim lapses (at least once; receivers dedupe on its id).
        let outcome = tokio::select! {
            outcome = sender.pass(&app) => outcome,
            _ = shutdown.changed() => return,
        };
        let next = match outcome {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "webhook sender pass failed; retrying");
                app.metrics.task_errors.with_label_values(&[TASK]).inc();
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

/// The sender's state: its lease, its HTTP client and the backoff of each delivery.
struct Sender {
    lease: Lease,
    client: reqwest::Client,
    backoff: HashMap<String, Instant>,
}

impl Sender {
    /// One pass; returns when something is next due (a backoff ends, a claim lapses, the
    /// lease must be renewed).
    async fn pass(&mut self, app: &App) -> Result<Option<Instant>, ServiceError> {
        let mut pending: Vec<(Delivery, u64)> = crate::service::webhooks::read_deliveries(app)
            .await?
            .into_iter()
            .filter(|(d, _)| d.state == DeliveryState::Pending)
            .collect();
        pending.sort_by(|(a, _), (b, _)| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        self.backoff
            .retain(|id, _| pending.iter().any(|(d, _)| d.id == *id));
        if pending.is_empty() {
            return Ok(None);
        }
        let now = app.clock.now();
        if let Err(error) = self.lease.refresh(now).await {
            tracing::warn!(%error, "webhook sender lease could not be renewed");
        }
        let mut next = self.lease.next_refresh().map(|at| in_instants(app, at));
        let Some(fence) = self.lease.fence(now) else {
            return Ok(next);
        };
        let subscriptions: HashMap<String, Subscription> = app
            .store
            .list(Kind::Webhook)
            .await
            .map_err(ServiceError::from)?
            .into_iter()
            .filter_map(|d| serde_json::from_slice::<Subscription>(&d.body).ok())
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut offer = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
        for (delivery, version) in pending {
            if let Some(at) = self
                .backoff
                .get(&delivery.id)
                .filter(|at| **at > Instant::now())
            {
                offer(*at);
                continue;
            }
            let now = app.clock.now();
            if let Some(claim) = delivery.claim.as_ref().filter(|c| c.until > now) {
                // Another replica's attempt is in flight.
                offer(in_instants(app, claim.until));
                continue;
            }
            if let Some(at) = self
                .attempt(app, &subscriptions, &fence, delivery, version)
                .await?
            {
                offer(at);
            }
        }
        Ok(next)
    }

    /// Claims `delivery`, sends it and records the outcome; returns when it is due again
    /// if it is to be retried.
    async fn attempt(
        &mut self,
        app: &App,
        subscriptions: &HashMap<String, Subscription>,
        fence: &Check,
        mut delivery: Delivery,
        version: u64,
    ) -> Result<Option<Instant>, ServiceError> {
        let settings = &app.settings.webhooks;
        let now = app.clock.now();
        delivery.claim = Some(Claim {
            by: self.lease.holder().to_owned(),
            until: now + settings.timeout + CLAIM_MARGIN,
        });
        let Some(claimed) = record(app, &delivery, version, Some(fence.clone())).await? else {
            // Changed meanwhile, or the lease moved: the next pass sees the record afresh.
            return Ok(None);
        };
        if self.lease.held(app.clock.now()).is_none() {
            // Not sent; the claim lapses and the new sender attempts it.
            return Ok(None);
        }
        let (attempt, gave_up_early) = match subscriptions.get(&delivery.webhook) {
            None => (refused(now, "the subscription was deleted"), true),
            Some(s) if !s.active => (refused(now, "the subscription is inactive"), true),
            Some(subscription) => match target(app, &subscription.url) {
                Err(why) => (refused(now, &why), true),
                Ok(()) => (
                    send(app, &self.client, subscription, &delivery).await,
                    false,
                ),
            },
        };
        let delivered = attempt.status.is_some_and(|s| (200..300).contains(&s));
        delivery.claim = None;
        delivery.attempts.push(attempt);
        let mut again = None;
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
            self.backoff.insert(delivery.id.clone(), at);
            again = Some(at);
            DeliveryState::Pending
        };
        // On the claimed version, not fenced: the claim keeps others off this record, and
        // an attempt that was made must be recorded even if the lease just moved.
        record(app, &delivery, claimed, None).await?;
        Ok(again)
    }
}

/// A time of the injected clock as an instant of the monotonic one.
fn in_instants(app: &App, at: time::OffsetDateTime) -> Instant {
    let ahead = Duration::try_from(at - app.clock.now()).unwrap_or(Duration::ZERO);
    Instant::now() + ahead
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

/// Writes `delivery` over `version` (fenced by `fence` when given); returns the new
/// version, or `None` when the record or the lease moved meanwhile.
async fn record(
    app: &App,
    delivery: &Delivery,
    version: u64,
    fence: Option<Check>,
) -> Result<Option<u64>, ServiceError> {
    let result = app
        .store
        .commit(Commit {
            actor: format!("system:{TASK}"),
            action: "webhook.delivery".to_owned(),
            at: app.clock.now(),
            writes: vec![Write::put(
                Kind::Delivery,
                delivery.id.clone(),
                Expect::Version(version),
                to_body(delivery)?,
            )],
            checks: fence.into_iter().collect(),
            audited: false,
            expect_revision: None,
        })
        .await;
    match result {
        Ok(change) => Ok(change.entries.first().map(|e| e.version)),
        Err(StoreError::Conflict { .. }) => Ok(None),
        Err(other) => Err(ServiceError::from(other)),
    }
}
