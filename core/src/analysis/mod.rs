//! Canary statistics that stay valid under continuous monitoring (docs/canary-analysis.md,
//! "The statistics").
//!
//! The controller looks at a canary every interval. A classic fixed-sample test checked
//! that often would raise false alarms far above its nominal level; every test here is
//! instead a *test martingale* — a running likelihood ratio whose expectation under the
//! null hypothesis is at most 1 — so by Ville's inequality the probability that it ever
//! reaches `1/alpha` is at most `alpha`, however often it is looked at and however the
//! traffic split changes between looks.
//!
//! - [`CountTest`]: errors (or slow requests) per request, treatment against control,
//!   conditioned on the total count each interval (Lindon & Malek, 2022).
//! - [`MeanTest`]: a continuous metric per interval, as paired differences, with the
//!   normal-mixture SPRT (Johari, Pekelis & Walsh, *Always Valid Inference*, 2017).
//! - [`SampleRatioTest`]: is the treatment's share of exposures what the split says?
//!   A Beta-binomial Bayes factor against the configured share.
//!
//! All state is plain data updated by `observe` (serializable, so a release carries its
//! tests from one interval to the next); nothing here reads a clock or draws a random
//! number. [`decide`] turns one interval's query results into the controller's decision;
//! [`AnalysisRecord`] is what each interval leaves on the release's timeline.

mod counts;
pub mod decide;
mod means;
mod ratio;
mod record;

pub use counts::CountTest;
pub use decide::{Decision, Observations, Progress, Standing, decide};
pub use means::MeanTest;
pub use ratio::SampleRatioTest;
pub use record::{
    AnalysisRecord, Arm, CheckRecord, CheckVerdict, ExposureRecord, QueryOutcome, QueryRecord,
    Verdict,
};

/// `ln(sum(exp(x)))` without overflow.
fn log_sum_exp(values: impl IntoIterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.into_iter().collect();
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// A test's verdict after its latest observation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    /// `ln` of the test statistic (the mixture likelihood ratio); 0 means no evidence.
    pub log_statistic: f64,
    /// `ln(1/alpha)`: the statistic crosses it only with probability `alpha` under the
    /// null hypothesis.
    pub log_threshold: f64,
}

impl Evidence {
    /// True when the null hypothesis is rejected.
    pub fn rejected(&self) -> bool {
        self.log_statistic >= self.log_threshold
    }

    /// The statistic itself (may be `inf` for overwhelming evidence).
    pub fn statistic(&self) -> f64 {
        self.log_statistic.exp()
    }
}

/// `ln(1/alpha)`, with `alpha` clamped into (0, 1).
fn log_threshold(alpha: f64) -> f64 {
    let alpha = if alpha.is_finite() {
        alpha.clamp(1e-12, 1.0 - 1e-12)
    } else {
        0.05
    };
    -alpha.ln()
}
