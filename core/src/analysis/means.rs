//! The mean test: is a continuous metric (latency, a KPI per user) worse in treatment?
//!
//! Each interval gives one value per arm; the test works on their differences
//! `x = treatment − control` (higher is worse). With the differences' variance `σ²` and
//! a normal mixing distribution `N(0, τ²)` over the true mean difference, the mixture
//! likelihood ratio after `n` intervals with mean difference `x̄` is
//!
//! ```text
//! Λn = sqrt(σ² / (σ² + n·τ²)) · exp( n²·τ²·x̄² / (2·σ²·(σ² + n·τ²)) )
//! ```
//!
//! (Johari, Pekelis & Walsh, 2017). `σ²` is estimated from the differences seen so far
//! (the usual plug-in), so the test waits for a few intervals before it speaks; it
//! reports a regression only when `x̄` points the worse way and exceeds the tolerated
//! difference.

use super::{Evidence, log_threshold};

/// Intervals needed before the variance estimate is trusted.
pub const MIN_INTERVALS: u64 = 6;

/// Running state of one mean test.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MeanTest {
    log_threshold: f64,
    tolerance: f64,
    n: u64,
    mean: f64,
    /// Sum of squared deviations from the mean (Welford).
    m2: f64,
}

impl MeanTest {
    /// A test at level `alpha` that tolerates a worsening up to `tolerance` (absolute,
    /// in the metric's unit).
    pub fn new(alpha: f64, tolerance: f64) -> MeanTest {
        let tolerance = if tolerance.is_finite() {
            tolerance.max(0.0)
        } else {
            0.0
        };
        MeanTest {
            log_threshold: log_threshold(alpha),
            tolerance,
            n: 0,
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// Adds one interval's values; non-finite values are ignored (no data).
    pub fn observe(&mut self, treatment: f64, control: f64) {
        let difference = treatment - control - self.tolerance;
        if !difference.is_finite() {
            return;
        }
        self.n += 1;
        let delta = difference - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (difference - self.mean);
    }

    /// The current evidence of a regression.
    pub fn evidence(&self) -> Evidence {
        let none = Evidence {
            log_statistic: 0.0,
            log_threshold: self.log_threshold,
        };
        if self.n < MIN_INTERVALS || self.mean <= 0.0 {
            return none;
        }
        let n = self.n as f64;
        let variance = (self.m2 / (n - 1.0)).max(f64::MIN_POSITIVE);
        // Mixing scale: the spread of one difference, so the prior covers effects of
        // the size the metric naturally moves by.
        let tau2 = variance;
        let log_statistic = 0.5 * (variance / (variance + n * tau2)).ln()
            + n * n * tau2 * self.mean * self.mean / (2.0 * variance * (variance + n * tau2));
        Evidence {
            log_statistic,
            log_threshold: self.log_threshold,
        }
    }

    /// The mean difference seen so far (treatment − control), tolerance excluded.
    pub fn mean_difference(&self) -> f64 {
        self.mean + self.tolerance
    }

    /// Intervals observed.
    pub fn intervals(&self) -> u64 {
        self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_shift_is_rejected_and_noise_is_not() {
        let mut worse = MeanTest::new(0.05, 0.0);
        let mut same = MeanTest::new(0.05, 0.0);
        let wiggle = [0.01, -0.02, 0.015, -0.005, 0.0, 0.02, -0.01, 0.005];
        for (i, w) in wiggle.iter().cycle().take(24).enumerate() {
            worse.observe(0.300 + w, 0.200);
            same.observe(0.200 + w, 0.200 + wiggle[(i + 3) % wiggle.len()]);
        }
        assert!(worse.evidence().rejected());
        assert!(!same.evidence().rejected());
    }

    #[test]
    fn it_stays_silent_until_the_variance_can_be_estimated() {
        let mut test = MeanTest::new(0.05, 0.0);
        for _ in 0..MIN_INTERVALS - 1 {
            test.observe(10.0, 1.0);
        }
        assert_eq!(test.evidence().log_statistic, 0.0);
    }

    #[test]
    fn improvements_and_tolerated_shifts_are_not_regressions() {
        let mut better = MeanTest::new(0.05, 0.0);
        let mut tolerated = MeanTest::new(0.05, 0.2);
        for w in [0.01, -0.01, 0.02, 0.0, -0.02, 0.01, 0.0, 0.01] {
            better.observe(0.1 + w, 0.3);
            tolerated.observe(0.4 + w, 0.3);
        }
        assert!(!better.evidence().rejected());
        assert!(!tolerated.evidence().rejected());
        assert!((tolerated.mean_difference() - 0.1025).abs() < 1e-9);
    }
}
