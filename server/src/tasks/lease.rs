//! The controller's lease: one replica at a time decides, across every replica that
//! shares the store.
//!
//! The lease is one document (`Kind::Lease`, key `controller`) naming its holder, when
//! it expires and its term. A replica acquires it when it is absent or expired, and the
//! holder renews it — both by compare-and-set on the document's version, so two
//! replicas can never both succeed. Every write the controller makes carries a
//! [`Check`] that the lease is still at the version this replica wrote: once another
//! replica has taken it (a new version), a deposed leader's late write is refused by the
//! store. That is the fencing.
//!
//! Timing: a holder renews every third of the time to live, and considers itself leader
//! only until two thirds of it have passed since the renewal *started* — so a replica
//! that cannot renew stops deciding a third of the time to live before anyone else may
//! take the lease over. All times come from the injected clock.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::infra::store::{Check, Commit, Expect, Kind, Store, StoreError, Write};

/// The key of the controller's lease document.
pub(crate) const KEY: &str = "controller";

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

/// One replica's view of the lease.
pub(crate) struct Lease {
    store: Arc<dyn Store>,
    holder: String,
    ttl: time::Duration,
    held: Option<Held>,
    /// When to try again while another replica holds it.
    retry_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("holder", &self.holder)
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl Lease {
    /// A lease for replica `holder`, held for `ttl` at a time.
    pub(crate) fn new(
        store: Arc<dyn Store>,
        holder: impl Into<String>,
        ttl: std::time::Duration,
    ) -> Lease {
        let ttl = time::Duration::try_from(ttl).unwrap_or(time::Duration::SECOND * 15);
        Lease {
            store,
            holder: holder.into(),
            ttl: ttl.max(time::Duration::SECOND * 3),
            held: None,
            retry_at: None,
        }
    }

    /// The lease as held at `now`, if this replica may decide.
    pub(crate) fn held(&self, now: OffsetDateTime) -> Option<Held> {
        self.held.filter(|h| now < h.valid_until)
    }

    /// The check every controller write carries, while the lease is held at `now`.
    pub(crate) fn fence(&self, now: OffsetDateTime) -> Option<Check> {
        self.held(now).map(|held| Check {
            kind: Kind::Lease,
            key: KEY.to_owned(),
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
        result
    }

    async fn try_take(&mut self, now: OffsetDateTime) -> Result<Option<Held>, StoreError> {
        let current = self.store.get(Kind::Lease, KEY).await?;
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
            actor: "system:controller".to_owned(),
            action: if taking {
                "lease.acquire"
            } else {
                "lease.renew"
            }
            .to_owned(),
            at: now,
            writes: vec![Write::put(Kind::Lease, KEY, expect, bytes)],
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
                    tracing::info!(holder = self.holder, term, "controller lease acquired");
                }
                self.held = Some(held);
                self.retry_at = None;
                Ok(Some(held))
            }
            Err(StoreError::Conflict { .. }) => {
                if self.held.take().is_some() {
                    tracing::warn!(holder = self.holder, "controller lease lost");
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
