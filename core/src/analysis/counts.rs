//! The count test: is the treatment's error rate more than `(1 + δ0)` times control's?
//!
//! Per interval take the treatment and control requests `r_t`, `r_c` and errors `e_t`,
//! `e_c`. Given the interval's total `E = e_t + e_c`, if the treatment's rate is
//! `(1 + d)` times control's then `e_t ~ Binomial(E, ρ(d))` with
//! `ρ(d) = (1 + d)·r_t / ((1 + d)·r_t + r_c)`. The test multiplies, per alternative `d`
//! on a grid above `δ0`, the likelihood ratios `L(ρ(d)) / L(ρ(δ0))` over intervals, and
//! averages the products over the grid. Under the null (`d ≤ δ0`) each factor has
//! expectation at most 1, so the average is a test supermartingale.
//!
//! Conditioning on `E` makes the test indifferent to the overall error rate drifting
//! during the day, and lets `r_t / r_c` change from stage to stage. Counts may be
//! fractional (Prometheus' `increase()` extrapolates); they are used as given.

use super::{Evidence, log_sum_exp, log_threshold};

/// Relative worsenings the mixture averages over, as multiples of the null boundary.
const GRID: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 9.0];

/// Running state of one count test.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CountTest {
    null_increase: f64,
    log_threshold: f64,
    /// Per grid point: the log of the product of likelihood ratios so far.
    log_ratios: [f64; GRID.len()],
    intervals: u64,
}

impl CountTest {
    /// A test of "treatment at most `max_relative_increase` worse than control" at level
    /// `alpha`. `max_relative_increase` of 0 tests for any increase.
    pub fn new(alpha: f64, max_relative_increase: f64) -> CountTest {
        let null_increase = if max_relative_increase.is_finite() {
            max_relative_increase.max(0.0)
        } else {
            0.0
        };
        CountTest {
            null_increase,
            log_threshold: log_threshold(alpha),
            log_ratios: [0.0; GRID.len()],
            intervals: 0,
        }
    }

    /// Adds one interval's counts. Intervals without requests in either arm, or without
    /// errors at all, carry no information and leave the statistic unchanged.
    pub fn observe(
        &mut self,
        treatment_requests: f64,
        treatment_errors: f64,
        control_requests: f64,
        control_errors: f64,
    ) {
        let valid = |x: f64| x.is_finite() && x >= 0.0;
        if ![
            treatment_requests,
            treatment_errors,
            control_requests,
            control_errors,
        ]
        .into_iter()
        .all(valid)
        {
            return;
        }
        if treatment_requests <= 0.0
            || control_requests <= 0.0
            || treatment_errors + control_errors <= 0.0
        {
            return;
        }
        let share = |d: f64| {
            (1.0 + d) * treatment_requests / ((1.0 + d) * treatment_requests + control_requests)
        };
        let null = share(self.null_increase);
        for (log_ratio, step) in self.log_ratios.iter_mut().zip(GRID) {
            let alternative = share((1.0 + self.null_increase) * (1.0 + step) - 1.0);
            *log_ratio += treatment_errors * (alternative / null).ln()
                + control_errors * ((1.0 - alternative) / (1.0 - null)).ln();
        }
        self.intervals += 1;
    }

    /// The current evidence of a regression.
    pub fn evidence(&self) -> Evidence {
        let mixture = log_sum_exp(self.log_ratios) - (GRID.len() as f64).ln();
        Evidence {
            log_statistic: mixture,
            log_threshold: self.log_threshold,
        }
    }

    /// Intervals that carried information.
    pub fn intervals(&self) -> u64 {
        self.intervals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_information_leaves_the_statistic_at_one() {
        let mut test = CountTest::new(0.05, 0.0);
        test.observe(0.0, 0.0, 100.0, 3.0);
        test.observe(100.0, 0.0, 100.0, 0.0);
        test.observe(f64::NAN, 1.0, 100.0, 1.0);
        assert!((test.evidence().statistic() - 1.0).abs() < 1e-12);
        assert_eq!(test.intervals(), 0);
    }

    #[test]
    fn a_treatment_with_many_more_errors_is_rejected() {
        let mut test = CountTest::new(0.05, 0.0);
        for _ in 0..5 {
            test.observe(1000.0, 40.0, 1000.0, 10.0);
        }
        assert!(test.evidence().rejected());
    }

    #[test]
    fn a_treatment_with_fewer_errors_builds_no_evidence() {
        let mut test = CountTest::new(0.05, 0.0);
        for _ in 0..50 {
            test.observe(1000.0, 5.0, 1000.0, 10.0);
        }
        assert!(test.evidence().statistic() < 1.0);
    }

    #[test]
    fn an_increase_within_the_tolerance_is_not_a_regression() {
        let mut tolerant = CountTest::new(0.05, 0.5);
        let mut strict = CountTest::new(0.05, 0.0);
        for _ in 0..40 {
            tolerant.observe(1000.0, 12.0, 1000.0, 10.0);
            strict.observe(1000.0, 12.0, 1000.0, 10.0);
        }
        assert!(!tolerant.evidence().rejected());
        assert!(tolerant.evidence().log_statistic < strict.evidence().log_statistic);
    }
}
