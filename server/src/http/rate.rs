//! Per-key rate limiting for OFREP (off unless `limits.ofrep_requests_per_second` is
//! set): a one-second window per SDK key; past the limit the caller gets `429` with an
//! integer-seconds `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Requests per second per key, counted in one-second windows.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: u32,
    started: Instant,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    /// A limiter; `per_second == 0` lets everything through without locking.
    pub(crate) fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second,
            started: Instant::now(),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when `key` may make a request now, else the seconds to wait.
    pub(crate) fn check(&self, key: &str) -> Result<(), u64> {
        if self.per_second == 0 {
            return Ok(());
        }
        self.check_at(key, self.started.elapsed().as_secs())
    }

    /// [`RateLimiter::check`] in the window of second `second`.
    fn check_at(&self, key: &str, second: u64) -> Result<(), u64> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 100_000 {
            windows.retain(|_, (window, _)| *window == second);
        }
        let entry = windows.entry(key.to_owned()).or_insert((second, 0));
        if entry.0 != second {
            *entry = (second, 0);
        }
        if entry.1 >= self.per_second {
            return Err(1);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_past_its_budget_is_told_to_wait_and_others_are_not() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.check_at("a", 7).is_ok());
        assert!(limiter.check_at("a", 7).is_ok());
        assert_eq!(limiter.check_at("a", 7), Err(1));
        assert!(limiter.check_at("b", 7).is_ok());
        assert!(
            limiter.check_at("a", 8).is_ok(),
            "a new second opens a new window"
        );
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(0);
        assert!((0..10_000).all(|_| limiter.check("a").is_ok()));
    }
}
