//! What the decision carries from one interval to the next: the stage episode it belongs
//! to, bake time with data, errors and breaches in a row, and the tests' running state.
//! Serializable, so the controller keeps it in the release document and any replica
//! picks it up where the last one left it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Standing;
use crate::analysis::{CountTest, MeanTest, SampleRatioTest, Verdict};
use crate::release::{Analysis, CheckKind, Percent};

/// The per-stage state of a release's analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The stage this progress is about.
    pub stage: usize,
    /// Its percentage.
    pub percent: Percent,
    /// When the stage (or percentage) was applied or the release resumed: the episode.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// The latest analysis of this episode.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_at: Option<OffsetDateTime>,
    /// The latest analysis of this episode in which every check had data.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_data_at: Option<OffsetDateTime>,
    /// Bake time that counted (time with data), in milliseconds.
    pub baked_millis: u64,
    /// Intervals in a row whose queries failed.
    pub consecutive_errors: u32,
    /// Analyses in this episode.
    pub intervals: u64,
    /// Per check, in plan order.
    pub checks: Vec<CheckProgress>,
    /// The sample-ratio test of this episode (it depends on the percentage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_ratio: Option<SampleRatioTest>,
    /// The verdict of the latest analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verdict: Option<Verdict>,
    /// Set when the latest verdict paused the release because Prometheus could not be
    /// queried: the controller resumes such a release once queries succeed again.
    #[serde(default)]
    pub paused_for_errors: bool,
}

/// One check's running state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckProgress {
    /// The check's name.
    pub name: String,
    /// Breaches of its bound in a row (intervals without data neither extend nor end a
    /// run).
    pub breaches_in_row: u32,
    /// The comparison with control.
    pub comparison: Comparison,
}

/// The anytime-valid test a check runs against control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "test")]
pub enum Comparison {
    /// Ratio checks: errors per request.
    Count(CountTest),
    /// Value checks: the mixture SPRT on log values.
    Mean(MeanTest),
}

impl Comparison {
    fn fresh(kind: CheckKind, alpha: f64, max_relative_increase: Option<f64>) -> Comparison {
        let tolerance = max_relative_increase.unwrap_or(0.0);
        match kind {
            CheckKind::Ratio => Comparison::Count(CountTest::new(alpha, tolerance)),
            // Values are compared on the log scale, so the tolerance is relative too.
            CheckKind::Value => Comparison::Mean(MeanTest::new(alpha, (1.0 + tolerance).ln())),
        }
    }
}

/// The false-alarm budget of one test: `alpha` split evenly (Bonferroni) over the
/// checks and the sample-ratio test.
pub fn alpha_share(analysis: &Analysis) -> f64 {
    analysis.alpha / (analysis.checks.len() as f64 + 1.0)
}

impl Progress {
    /// A fresh episode at `standing`, without checks.
    pub fn bare(standing: &Standing) -> Progress {
        Progress {
            stage: standing.stage,
            percent: standing.percent,
            since: standing.since,
            last_at: None,
            last_data_at: None,
            baked_millis: 0,
            consecutive_errors: 0,
            intervals: 0,
            checks: Vec::new(),
            sample_ratio: None,
            last_verdict: None,
            paused_for_errors: false,
        }
    }

    /// A fresh episode at `standing`.
    pub fn start(analysis: &Analysis, standing: &Standing) -> Progress {
        let alpha = alpha_share(analysis);
        Progress {
            checks: analysis
                .checks
                .iter()
                .map(|check| CheckProgress {
                    name: check.name.clone(),
                    breaches_in_row: 0,
                    comparison: Comparison::fresh(check.kind, alpha, check.max_relative_increase),
                })
                .collect(),
            ..Progress::bare(standing)
        }
    }

    /// The progress to continue from at `standing`: the same episode goes on; a new one
    /// starts fresh, except that the comparisons with control carry over when the
    /// controller itself advanced the release (the tests stay valid however the split
    /// changes). After anything a person did — resume, promote, set the percentage — the
    /// tests start again, so a release a person resumed is not paused again at once on
    /// evidence they have already seen.
    pub fn continue_at(
        previous: Option<&Progress>,
        analysis: &Analysis,
        standing: &Standing,
    ) -> Progress {
        let mut fresh = Progress::start(analysis, standing);
        let Some(previous) = previous else {
            return fresh;
        };
        let same_episode = previous.stage == standing.stage
            && previous.percent == standing.percent
            && previous.since == standing.since;
        let same_checks = previous.checks.len() == fresh.checks.len()
            && previous
                .checks
                .iter()
                .zip(&fresh.checks)
                .all(|(a, b)| a.name == b.name);
        if !same_checks {
            return fresh;
        }
        if same_episode {
            return previous.clone();
        }
        let advanced_by_controller =
            previous.last_verdict == Some(Verdict::Advance) && standing.stage == previous.stage + 1;
        if advanced_by_controller {
            for (check, carried) in fresh.checks.iter_mut().zip(&previous.checks) {
                check.comparison = carried.comparison.clone();
            }
        }
        fresh
    }

    /// Bake time that counted, in whole seconds.
    pub fn baked_seconds(&self) -> u64 {
        self.baked_millis / 1000
    }
}
