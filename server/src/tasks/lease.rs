//! A task's lease: one replica at a time runs each background task (the controller,
//! the scheduler, the report writer, the webhook sender), across every replica that
//! shares the store.
//!
//! The lease is one document per task (`Kind::Lease`, keyed by the task's name) naming
//! its holder, when it expires and its term. A replica acquires it when it is absent or expired, and the
//! holder renews it — both by compare-and-set on the document's version, so two
//! replicas can never both succeed. Every write the task makes carries a
//! [`Check`] that the lease is still at the version this replica wrote: once another
//! replica has taken it (a new version), a deposed leader's late write is refused by the
//! store. That is the fencing.
//!
//! Timing: a holder renews every third of the time to live, and considers itself leader
//! only until two thirds of it have passed since the renewal *started* — so a replica
//! that cannot renew stops deciding a third of the time to live before anyone else may
//! take the lease over. All times come from the injected clock.

use std::sync::Arc;

use prometheus::IntGauge;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::infra::auth::random_text;
use crate::infra::store::{Check, Commit, Expect, Kind, Store, StoreError, Write};
use crate::service::App;

/// A name for this process as a lease holder, unique per start.
pub(crate) fn holder_name() -> String {
    format!("replica-{}", random_text(10).to_ascii_lowercase())
}

/// The lease document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeaseBody {
    /// The replica holding it.
    pub holder: String,
    /// When the current holder took it.
    #[serde(with = "time::serde::rfc3339")]
    pub acquired_at: OffsetDateTime,
    /// When it lapses unless renewed; after this anyone may take it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Grows by one each time the lease changes hands.
    pub term: u64,
}

/// The lease as this replica holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    /// The document's version this replica wrote: the fencing token.
    pub version: u64,
    /// The term.
    pub term: u64,
    /// This replica decides only before this instant.
    pub valid_until: OffsetDateTime,
    /// When to renew.
    pub renew_at: OffsetDateTime,
}

/// One replica's view of a task's lease.
pub(crate) struct Lease {
    store: Arc<dyn Store>,
    /// The task, and the key of its lease document.
    task: &'static str,
    holder: String,
    ttl: time::Duration,
    held: Option<Held>,
    /// When to try again while another replica holds it.
    retry_at: Option<OffsetDateTime>,
    /// 1 while this replica holds the lease (`rollgate_leader{task}`).
    leader: Option<IntGauge>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("task", &self.task)
            .field("holder", &self.holder)
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl Lease {
    /// Replica `holder`'s view of `task`'s lease, held for `ttl` at a time.
    pub(crate) fn new(
        store: Arc<dyn Store>,
        task: &'static str,
        holder: impl Into<String>,
        ttl: std::time::Duration,
    ) -> Lease {
        let ttl = time::Duration::try_from(ttl).unwrap_or(time::Duration::SECOND * 15);
        Lease {
            store,
            task,
            holder: holder.into(),
            ttl: ttl.max(time::Duration::SECOND),
            held: None,
            retry_at: None,
            leader: None,
        }
    }

    /// This replica's view of `task`'s lease, with the server's lease time, reported on
    /// `rollgate_leader{task}`.
    pub(crate) fn of_task(app: &App, task: &'static str) -> Lease {
        Lease::new(
            Arc::clone(&app.store),
            task,
            holder_name(),
            app.settings.tasks.lease_ttl,
        )
        .reported_on(app.metrics.leader.with_label_values(&[task]))
    }

    /// Shows whether this replica holds the lease on `gauge` (1 or 0).
    pub(crate) fn reported_on(mut self, gauge: IntGauge) -> Lease {
        gauge.set(0);
        self.leader = Some(gauge);
        self
    }

    /// This replica's name as the holder.
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    /// The lease as held at `now`, if this replica may act.
    pub(crate) fn held(&self, now: OffsetDateTime) -> Option<Held> {
        self.held.filter(|h| now < h.valid_until)
    }

    /// The check every write of the task carries, while the lease is held at `now`.
    pub(crate) fn fence(&self, now: OffsetDateTime) -> Option<Check> {
        self.held(now).map(|held| Check {
            kind: Kind::Lease,
            key: self.task.to_owned(),
            expect: Expect::Version(held.version),
        })
    }

    /// When [`Lease::refresh`] should run next.
    pub(crate) fn next_refresh(&self) -> Option<OffsetDateTime> {
        self.held.map(|h| h.renew_at).or(self.retry_at)
    }

    /// Acquires or renews the lease when due at `now`; returns it when this replica
    /// holds it. A store failure keeps what is held until it lapses locally.
    pub(crate) async fn refresh(
        &mut self,
        now: OffsetDateTime,
    ) -> Result<Option<Held>, StoreError> {
        if let Some(held) = self.held
            && now < held.renew_at
        {
            return Ok(Some(held));
        }
        if self.held.is_none()
            && let Some(retry) = self.retry_at
            && now < retry
        {
            return Ok(None);
        }
        let result = self.try_take(now).await;
        if result.is_err() {
            self.held = self.held(now);
        }
        if let Some(gauge) = &self.leader {
            gauge.set(i64::from(self.held.is_some()));
        }
        result
    }

    async fn try_take(&mut self, now: OffsetDateTime) -> Result<Option<Held>, StoreError> {
        let current = self.store.get(Kind::Lease, self.task).await?;
        let (expect, term, acquired_at) = match &current {
            None => (Expect::Absent, 1, now),
            Some(document) => match serde_json::from_slice::<LeaseBody>(&document.body) {
                Ok(body) => {
                    let ours = body.holder == self.holder
                        && self.held.is_some_and(|h| h.version == document.version);
                    if ours {
                        (
                            Expect::Version(document.version),
                            body.term,
                            body.acquired_at,
                        )
                    } else if body.expires_at <= now {
                        (Expect::Version(document.version), body.term + 1, now)
                    } else {
                        self.held = None;
                        self.retry_at = Some(body.expires_at);
                        return Ok(None);
                    }
                }
                // A lease nobody can read is nobody's.
                Err(_) => (Expect::Version(document.version), 1, now),
            },
        };
        let body = LeaseBody {
            holder: self.holder.clone(),
            acquired_at,
            expires_at: now + self.ttl,
            term,
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| StoreError::Backend(Box::new(e)))?;
        let taking = self.held.is_none();
        let commit = Commit {
            actor: format!("system:{}", self.task),
            action: if taking {
                "lease.acquire"
            } else {
                "lease.renew"
            }
            .to_owned(),
            at: now,
            writes: vec![Write::put(Kind::Lease, self.task, expect, bytes)],
            checks: Vec::new(),
            audited: false,
            expect_revision: None,
        };
        match self.store.commit(commit).await {
            Ok(change) => {
                let version = change
                    .entries
                    .iter()
                    .find(|e| e.kind == Kind::Lease)
                    .map_or(1, |e| e.version);
                let held = Held {
                    version,
                    term,
                    valid_until: now + self.ttl * 2 / 3,
                    renew_at: now + self.ttl / 3,
                };
                if taking {
                    tracing::info!(
                        task = self.task,
                        holder = self.holder,
                        term,
                        "lease acquired"
                    );
                }
                self.held = Some(held);
                self.retry_at = None;
                Ok(Some(held))
            }
            Err(StoreError::Conflict { .. }) => {
                if self.held.take().is_some() {
                    tracing::warn!(task = self.task, holder = self.holder, "lease lost");
                }
                self.retry_at = Some(now + self.ttl / 3);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests;
