//! The door every credential passes: failed authentications are counted per client
//! address ([`origin::client_address`]: the peer, or behind a trusted proxy the client
//! it forwards) and throttled, so nobody guesses tokens at full speed.
//!
//! Each address has a bucket of `limits.auth_failure_burst` failures, refilled at
//! `limits.auth_failures_per_minute`. A failure takes one; an address with none left is
//! answered `429` with `Retry-After` — without its credential being checked at all, so
//! that a throttled client cannot go on telling good tokens from bad. Every failure is
//! logged at warn with the address and the reason, never the credential (at most the
//! burst and then the refill rate per address, so the log cannot be flooded either),
//! and counted in `rollgate_auth_failures_total`; refusals are counted in
//! `rollgate_auth_throttled_total`. A request without any credential is not a failure.
//!
//! Every authenticated request passes here, OFREP evaluations included, so the common
//! case costs one atomic load: while no address has failures outstanding, nothing is
//! looked up, locked or parsed. A bucket that has refilled is forgotten.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use actix_web::HttpRequest;
use ipnet::IpNet;
use prometheus::{IntCounter, Registry};

use super::origin::client_address;
use crate::infra::auth::Unauthenticated;

/// Addresses remembered at most; past this, buckets that are full again are forgotten.
const MAX_ADDRESSES: usize = 100_000;

/// An address that failed too often: come back in `retry_after` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "too many failed authentications from this address; retry in {retry_after} s (limits.auth_failure_burst)"
)]
pub(crate) struct Throttled {
    /// Seconds until one more attempt is allowed.
    pub retry_after: u64,
}

/// Why the door stayed shut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The credential is missing or wrong.
    Unauthenticated(Unauthenticated),
    /// The address failed too often.
    Throttled(Throttled),
}

/// How much an address may fail.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Allowance {
    /// Failures allowed in a row.
    pub burst: u32,
    /// Failures allowed per minute after the burst.
    pub per_minute: u32,
}

/// The failures of one address.
#[derive(Debug)]
struct Bucket {
    /// Failures it may still make.
    left: f64,
    /// When `left` was last brought up to date.
    at: Instant,
    /// Whether its throttling was logged.
    told: bool,
}

/// Failed authentications per client address.
#[derive(Debug)]
pub(crate) struct Guard {
    allowance: Allowance,
    trusted: Vec<IpNet>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    /// How many buckets there are (read without the lock on every request).
    tracked: AtomicUsize,
    failures: IntCounter,
    throttled: IntCounter,
}

impl Guard {
    /// A guard trusting `trusted` proxies for the client address, with its counters in
    /// `registry`.
    pub(crate) fn new(
        allowance: Allowance,
        trusted: Vec<IpNet>,
        registry: &Registry,
    ) -> Result<Guard, prometheus::Error> {
        let failures = IntCounter::new(
            "rollgate_auth_failures_total",
            "Failed authentications (unknown, revoked or malformed credentials).",
        )?;
        let throttled = IntCounter::new(
            "rollgate_auth_throttled_total",
            "Requests refused because their address failed authentication too often.",
        )?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(throttled.clone()))?;
        Ok(Guard {
            allowance,
            trusted,
            buckets: Mutex::new(HashMap::new()),
            tracked: AtomicUsize::new(0),
            failures,
            throttled,
        })
    }

    /// Runs `verify` for the request `req` unless its address is throttled, and counts
    /// its failure.
    pub(crate) fn check<T>(
        &self,
        req: &HttpRequest,
        verify: impl FnOnce() -> Result<T, Unauthenticated>,
    ) -> Result<T, Refused> {
        let address = if self.tracked.load(Ordering::Relaxed) == 0 {
            None
        } else {
            let address = client_address(req, &self.trusted);
            self.admit(address, Instant::now())
                .map_err(Refused::Throttled)?;
            Some(address)
        };
        verify().map_err(|why| {
            if why != Unauthenticated::Missing {
                let address = address.unwrap_or_else(|| client_address(req, &self.trusted));
                self.failed(address, why, Instant::now());
            }
            Refused::Unauthenticated(why)
        })
    }

    /// `Err` when `address` has no failure left at `now`.
    fn admit(&self, address: IpAddr, now: Instant) -> Result<(), Throttled> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(bucket) = buckets.get_mut(&address) else {
            return Ok(());
        };
        self.refill(bucket, now);
        if bucket.left >= f64::from(self.allowance.burst) {
            // Refilled: the same as never having failed.
            buckets.remove(&address);
            self.tracked.store(buckets.len(), Ordering::Relaxed);
            return Ok(());
        }
        if bucket.left >= 1.0 {
            bucket.told = false;
            return Ok(());
        }
        self.throttled.inc();
        let per_second = f64::from(self.allowance.per_minute) / 60.0;
        let retry_after = ((1.0 - bucket.left) / per_second).ceil().max(1.0) as u64;
        if !bucket.told {
            bucket.told = true;
            tracing::warn!(
                client = %address,
                retry_after,
                "authentication throttled: too many failures from this address"
            );
        }
        Err(Throttled { retry_after })
    }

    /// Counts a failure of `address` at `now`.
    fn failed(&self, address: IpAddr, why: Unauthenticated, now: Instant) {
        self.failures.inc();
        tracing::warn!(client = %address, reason = %why, "authentication failed");
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_ADDRESSES {
            let full = f64::from(self.allowance.burst);
            buckets.retain(|_, bucket| {
                self.refill(bucket, now);
                bucket.left < full
            });
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            left: f64::from(self.allowance.burst),
            at: now,
            told: false,
        });
        self.refill(bucket, now);
        bucket.left = (bucket.left - 1.0).max(0.0);
        self.tracked.store(buckets.len(), Ordering::Relaxed);
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let per_second = f64::from(self.allowance.per_minute) / 60.0;
        let gained = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.left = (bucket.left + gained).min(f64::from(self.allowance.burst));
        bucket.at = now;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::time::Duration;

    use super::*;

    fn guard(burst: u32, per_minute: u32) -> Guard {
        Guard::new(
            Allowance { burst, per_minute },
            Vec::new(),
            &Registry::new(),
        )
        .unwrap()
    }

    #[test]
    fn an_address_is_throttled_after_its_burst_and_let_in_as_it_refills() {
        let guard = guard(3, 60);
        let (alice, bob) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(guard.admit(alice, start), Ok(()));
            guard.failed(alice, Unauthenticated::UnknownToken, start);
        }
        assert_eq!(guard.admit(alice, start), Err(Throttled { retry_after: 1 }));
        assert_eq!(guard.admit(bob, start), Ok(()), "other addresses are not");
        assert_eq!(
            guard.admit(alice, start + Duration::from_millis(500)),
            Err(Throttled { retry_after: 1 })
        );
        assert_eq!(guard.admit(alice, start + Duration::from_secs(1)), Ok(()));
        assert_eq!(guard.failures.get(), 3);
        assert_eq!(guard.throttled.get(), 2);
    }

    #[test]
    fn an_address_whose_bucket_refilled_is_forgotten() {
        let guard = guard(2, 60);
        let address = "192.0.2.1".parse().unwrap();
        let now = Instant::now();
        assert_eq!(guard.tracked.load(Ordering::Relaxed), 0);
        guard.failed(address, Unauthenticated::UnknownToken, now);
        assert_eq!(guard.tracked.load(Ordering::Relaxed), 1);
        assert_eq!(
            guard.admit(address, now + Duration::from_millis(500)),
            Ok(())
        );
        assert_eq!(guard.tracked.load(Ordering::Relaxed), 1, "not full yet");
        assert_eq!(guard.admit(address, now + Duration::from_secs(1)), Ok(()));
        assert_eq!(guard.tracked.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_wait_follows_the_refill_rate() {
        let guard = guard(1, 6);
        let address = "192.0.2.1".parse().unwrap();
        let now = Instant::now();
        guard.failed(address, Unauthenticated::UnknownToken, now);
        assert_eq!(
            guard.admit(address, now),
            Err(Throttled { retry_after: 10 })
        );
    }
}
