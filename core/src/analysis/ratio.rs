//! The sample-ratio test: does the treatment get the share of exposures the split says?
//!
//! Treatment exposures `x` out of `n` are compared with `Binomial(n, p)` for the
//! configured share `p`, against a Beta-binomial alternative (a `Beta` prior centred on
//! `p` with concentration `k`). The Bayes factor
//!
//! ```text
//! BF = B(k·p + x, k·(1−p) + n − x) / B(k·p, k·(1−p))  /  (p^x · (1−p)^(n−x))
//! ```
//!
//! is a test martingale under the null, so it can be checked every interval. Exposure
//! counts are evaluations, not users, and heavy users make them over-dispersed; so a
//! mismatch is reported only when the test rejects *and* the observed share is off by
//! more than a practical margin.

use super::{Evidence, log_threshold};

/// Concentration of the Beta prior around the configured share.
const CONCENTRATION: f64 = 100.0;

/// Running state of one sample-ratio test.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SampleRatioTest {
    log_threshold: f64,
    expected_share: f64,
    treatment: f64,
    total: f64,
}

impl SampleRatioTest {
    /// A test at level `alpha` that the treatment's share is `expected_share` (0..1).
    pub fn new(alpha: f64, expected_share: f64) -> SampleRatioTest {
        let share = if expected_share.is_finite() {
            expected_share.clamp(1e-6, 1.0 - 1e-6)
        } else {
            0.5
        };
        SampleRatioTest {
            log_threshold: log_threshold(alpha),
            expected_share: share,
            treatment: 0.0,
            total: 0.0,
        }
    }

    /// Adds exposures counted since the last observation.
    pub fn observe(&mut self, treatment: f64, control: f64) {
        if treatment.is_finite() && control.is_finite() && treatment >= 0.0 && control >= 0.0 {
            self.treatment += treatment;
            self.total += treatment + control;
        }
    }

    /// The treatment's observed share so far (`None` before any exposure).
    pub fn observed_share(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.treatment / self.total)
    }

    /// The evidence that the split is broken.
    pub fn evidence(&self) -> Evidence {
        let (p, x, n, k) = (
            self.expected_share,
            self.treatment,
            self.total,
            CONCENTRATION,
        );
        let log_statistic = if n <= 0.0 {
            0.0
        } else {
            log_beta(k * p + x, k * (1.0 - p) + n - x)
                - log_beta(k * p, k * (1.0 - p))
                - x * p.ln()
                - (n - x) * (1.0 - p).ln()
        };
        Evidence {
            log_statistic,
            log_threshold: self.log_threshold,
        }
    }

    /// True when the split is broken beyond chance and beyond a practical margin
    /// (a tenth of the expected share, at least one percentage point).
    pub fn mismatch(&self) -> bool {
        let margin = (0.1 * self.expected_share).max(0.01);
        self.evidence().rejected()
            && self
                .observed_share()
                .is_some_and(|s| (s - self.expected_share).abs() > margin)
    }
}

fn log_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_that_matches_builds_no_evidence() {
        let mut test = SampleRatioTest::new(0.01, 0.1);
        for _ in 0..20 {
            test.observe(1000.0, 9000.0);
        }
        assert!(!test.evidence().rejected());
        assert!(!test.mismatch());
    }

    #[test]
    fn a_broken_split_is_a_mismatch() {
        let mut test = SampleRatioTest::new(0.01, 0.1);
        for _ in 0..5 {
            test.observe(2000.0, 8000.0);
        }
        assert!(test.mismatch());
        assert!((test.observed_share().unwrap_or_default() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_tiny_but_significant_deviation_is_not_a_mismatch() {
        let mut test = SampleRatioTest::new(0.01, 0.5);
        test.observe(5_050_000.0, 4_950_000.0);
        assert!(
            test.evidence().rejected(),
            "a million-scale 50.5 % is statistically off"
        );
        assert!(
            !test.mismatch(),
            "but half a point is within the practical margin"
        );
    }
}
