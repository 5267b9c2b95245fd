//! The canary controller: every `interval` of each running release with an `analysis`
//! section, query Prometheus for the treatment and the control cohort, let
//! [`rollgate_core::analysis::decide`] judge, and apply the decision through the same
//! release actions people use (as `system:controller`), recording every analysis on the
//! release's timeline.
//!
//! - [`crate::infra::promql`]: the Prometheus query client and PromQL templates;
//! - [`observe`]: the queries of one interval, sent at once;
//! - [`act`]: one analysis, decided and applied (holds are `analysis` events);
//! - [`after_release`]: the watch after release, and its report addendum;
//! - [`super::lease`]: one replica decides at a time; every write is fenced by the
//!   `controller` lease.
//!
//! The loop keeps nothing that matters in memory: when an analysis is due comes from the
//! release (its last analysis, or its stage start, plus the interval), and the progress
//! between intervals is stored in the release — so a restart, or another replica taking
//! the lease over, continues where things stand. The lease is only taken while there is
//! something to analyse, so an idle server writes nothing.
//!
//! Timing uses the injected clock. The loop sleeps until the next analysis is due or the
//! lease must be renewed, and wakes early when a release changes or the test clock
//! moves (with the manual clock it only wakes on those nudges).
//!
//! Releases the controller paused because Prometheus could not be queried are probed
//! every interval and resumed as soon as every query answers again (the stage then
//! bakes afresh). Releases paused by a person, or for any other reason, stay paused.
//!
//! A decision that loses a race (a person acted first, the lease moved) is dropped, and
//! counted by cause in `rollgate_controller_decisions_dropped_total`.

pub(crate) mod act;
pub(crate) mod after_release;
pub(crate) mod observe;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use time::OffsetDateTime;
use tokio::sync::watch;

use self::act::{COMPONENT, Dropped, Outcome, Work, is_analysed, is_paused_for_errors};
use super::lease::Lease;
use crate::infra::metrics::Metrics;
use crate::infra::promql::client::PrometheusClient;
use crate::service::App;
use crate::service::ServiceError;
use crate::service::releases::{Stored, read_all};

/// Creates one series of `rollgate_controller_decisions_dropped_total` per cause, at
/// zero, before the server answers: an operator's `increase()` then works from the
/// first scrape, and the causes can be read off `/metrics`.
pub(crate) fn register_causes(metrics: &Metrics) {
    for cause in Dropped::ALL {
        let _ = metrics
            .controller_decisions_dropped
            .with_label_values(&[cause.as_str()]);
    }
}

/// Longest sleep between passes (a nudge ends it earlier).
const IDLE: Duration = Duration::from_secs(60);

/// Runs until `shutdown` flips.
pub(crate) async fn run_controller(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    if !app.settings.controller.enabled {
        tracing::info!("canary controller disabled (controller.enabled = false)");
        let _ = shutdown.changed().await;
        return;
    }
    let lease = Lease::of_task(&app, COMPONENT);
    let mut controller = Controller {
        lease,
        client: PrometheusClient::new(app.settings.controller.query_timeout),
        probed: HashMap::new(),
    };
    loop {
        let now = app.clock.now();
        let next = match controller.pass(&app, now).await {
            Ok(next) => next,
            Err(error) => {
                tracing::warn!(%error, "controller pass failed; retrying");
                app.metrics
                    .task_errors
                    .with_label_values(&[COMPONENT])
                    .inc();
                Some(now + time::Duration::SECOND)
            }
        };
        let sleep = app.sleep_until(next, IDLE);
        tokio::select! {
            _ = app.wake.controller.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// The loop's state: the lease, the Prometheus client, and when each paused release
/// was last probed.
struct Controller {
    lease: Lease,
    client: PrometheusClient,
    probed: HashMap<String, OffsetDateTime>,
}

impl Controller {
    /// Analyses every release that is due at `now`; returns when something is next due.
    async fn pass(
        &mut self,
        app: &App,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, ServiceError> {
        let releases = read_all(app).await?;
        let watched: Vec<(Stored, Work)> = releases
            .into_iter()
            .filter_map(|stored| {
                let work = if is_analysed(&stored) {
                    Work::Analyse
                } else if is_paused_for_errors(&stored) {
                    Work::Probe
                } else if after_release::is_kept(&stored) {
                    Work::Watch
                } else {
                    return None;
                };
                Some((stored, work))
            })
            .collect();
        self.probed
            .retain(|id, _| watched.iter().any(|(s, _)| s.release.id == *id));
        if watched.is_empty() {
            return Ok(None);
        }
        if let Err(error) = self.lease.refresh(now).await {
            tracing::warn!(%error, "controller lease could not be renewed");
        }
        let mut next = self.lease.next_refresh();
        let Some(fence) = self.lease.fence(now) else {
            return Ok(next);
        };
        let mut due = Vec::new();
        for (stored, work) in &watched {
            let Some(at) = self.due_at(stored, *work) else {
                continue;
            };
            if at <= now {
                due.push((stored, *work));
            } else {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        let client = &self.client;
        let results = join_all(due.iter().map(|(stored, work)| {
            let fence = fence.clone();
            async move { act::run(app, client, stored, fence, now, *work).await }
        }))
        .await;
        for ((stored, work), result) in due.iter().zip(results) {
            let id = &stored.release.id;
            match result {
                Ok(Outcome::Applied(verdict)) => {
                    tracing::debug!(release = id, verdict = verdict.as_str(), "analysed");
                }
                Ok(Outcome::Dropped(cause)) => app
                    .metrics
                    .controller_decisions_dropped
                    .with_label_values(&[cause.as_str()])
                    .inc(),
                Ok(Outcome::Skipped) => {}
                Err(error) => tracing::warn!(release = id, %error, "analysis failed"),
            }
            if *work == Work::Probe {
                self.probed.insert(id.clone(), now);
            }
            // The release was written (or will be read again): due again one interval on.
            if let Some(interval) = interval(stored) {
                let again = now + interval;
                next = Some(next.map_or(again, |n| n.min(again)));
            }
        }
        Ok(next)
    }

    /// When `stored` is next due: one interval after its last analysis in the current
    /// stage episode (or after the episode started); a paused release one interval after
    /// its last probe.
    fn due_at(&self, stored: &Stored, work: Work) -> Option<OffsetDateTime> {
        let release = &stored.release;
        let interval = interval(stored)?;
        let last_analysis = release.analysis_progress.as_ref().and_then(|p| p.last_at);
        match work {
            Work::Analyse => {
                let since = release.stage_started_at?;
                Some(last_analysis.map_or(since, |last| last.max(since)) + interval)
            }
            Work::Probe => {
                let last = self.probed.get(&release.id).copied().or(last_analysis)?;
                Some(last + interval)
            }
            Work::Watch => after_release::due_at(stored, interval),
        }
    }
}

fn interval(stored: &Stored) -> Option<time::Duration> {
    stored
        .release
        .plan
        .analysis
        .as_ref()
        .map(|a| a.interval.to_time())
}
