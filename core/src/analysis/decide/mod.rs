//! The canary decision (docs/canary-analysis.md): given the plan, what the previous intervals left
//! ([`Progress`]), this interval's query results ([`Observations`]) and `now`, decide
//! whether the release advances, holds, pauses, rolls back or completes — and say why
//! in an [`AnalysisRecord`].
//!
//! In the order of docs/canary-analysis.md:
//! 1. **data quality** — a failed query makes the whole interval a *query error*: nothing
//!    is judged, nothing bakes, and after `max_consecutive_errors` in a row the release
//!    pauses (never rolls back). No data (an empty result, `NaN`, or fewer than
//!    `min_samples` requests in an arm) holds; once a stage has gone
//!    `max_stage_duration` without data it pauses, or rolls back with
//!    `on_no_data: rollback`. A sample-ratio mismatch pauses;
//! 2. **guardrails** — a bound breached `consecutive_breaches` times in a row rolls back;
//! 3. **comparison with control** — anytime-valid tests at `alpha / (checks + 1)` each
//!    (Bonferroni over the checks and the sample-ratio test): a critical check's
//!    regression rolls back, another's pauses;
//! 4. **advance** once the stage has baked for `bake` with data, nothing is breached,
//!    and no maintenance window is open; after the last stage, **complete**.
//!
//! Pure: no clock, no I/O. The controller feeds it and applies the decision.
//!
//! This module holds the public API ([`decide`], [`Decision`], [`Observations`], …);
//! `judge.rs` walks the steps above, `check.rs` reads and tests one check,
//! `progress.rs` is the state carried between intervals, `words.rs` the numbers in reasons.

mod check;
mod judge;
mod progress;
mod words;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use progress::{CheckProgress, Comparison, Progress, alpha_share};

use self::judge::{finish, judge};
use crate::analysis::{AnalysisRecord, QueryRecord, Verdict};
use crate::release::validate::EVERYONE;
use crate::release::{Percent, ReleasePlan};

/// How late exposures may reach Prometheus after the evaluation that made them: SDKs
/// report them in batches (every minute by default) and Prometheus scrapes on its own
/// interval. The split is judged only once the window, moved back by this much, lies
/// inside the stage — before, it would hold the previous percentage's exposures.
pub const EXPOSURE_LAG_MILLIS: u64 = 60_000;

/// What the controller does after an interval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "reason")]
pub enum Decision {
    /// Open the next stage.
    Advance,
    /// Stay where it is, and why.
    Hold(String),
    /// Stop and wait for a person, and why.
    Pause(String),
    /// Put every flag back to control, and why.
    Rollback(String),
    /// The last stage passed.
    Complete,
}

impl Decision {
    /// The verdict recorded for this decision.
    pub fn verdict(&self) -> Verdict {
        match self {
            Decision::Advance => Verdict::Advance,
            Decision::Hold(_) => Verdict::Hold,
            Decision::Pause(_) => Verdict::Pause,
            Decision::Rollback(_) => Verdict::Rollback,
            Decision::Complete => Verdict::Complete,
        }
    }
}

/// Where the release stands when it is analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The current stage.
    pub stage: usize,
    /// The share of its audience exposed.
    pub percent: Percent,
    /// When the stage (or percentage) was applied or the release last resumed.
    pub since: OffsetDateTime,
}

/// One interval's query results.
#[derive(Clone, Debug, PartialEq)]
pub struct Observations {
    /// Where the release stood.
    pub standing: Standing,
    /// The treatment cohort's variant (the label applications put on their metrics).
    pub treatment_variant: String,
    /// The control cohort's variant.
    pub control_variant: String,
    /// Per check of the plan, its queries as sent and what they gave.
    pub checks: Vec<CheckObservation>,
    /// Exposures per cohort (evaluations that went through the split), for the
    /// sample-ratio test; `None` when not queried (no split at this stage).
    pub exposures: Option<ExposureObservation>,
}

/// The queries of one check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckObservation {
    /// The check's name.
    pub name: String,
    /// Its queries (`errors` and `total`, or `query`, per arm).
    pub queries: Vec<QueryRecord>,
}

/// The exposure queries.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposureObservation {
    /// Treatment exposures in the window.
    pub treatment: QueryRecord,
    /// Control exposures in the window.
    pub control: QueryRecord,
}

/// Does the stage leave anyone in control? Not once it serves everybody.
pub fn has_control(plan: &ReleasePlan, standing: &Standing) -> bool {
    let everyone = plan
        .stages
        .get(standing.stage)
        .is_some_and(|s| s.audience == EVERYONE);
    !(everyone && standing.percent.is_full())
}

/// Does the stage split its audience (so exposures can be checked against the split)?
pub fn has_split(standing: &Standing) -> bool {
    !standing.percent.is_full() && standing.percent > Percent::ZERO
}

/// Decides one interval. Returns the decision, the progress to keep for the next
/// interval, and the record to put on the release's timeline (every number finite).
pub fn decide(
    plan: &ReleasePlan,
    progress: Option<&Progress>,
    observations: &Observations,
    now: OffsetDateTime,
) -> (Decision, Progress, AnalysisRecord) {
    let standing = &observations.standing;
    let mut record = AnalysisRecord {
        at: now,
        stage: standing.stage,
        percent: standing.percent.as_f64(),
        treatment_variant: observations.treatment_variant.clone(),
        control_variant: observations.control_variant.clone(),
        checks: Vec::new(),
        exposures: None,
        baked_seconds: 0,
        verdict: Verdict::Hold,
        reason: String::new(),
    };
    let Some(analysis) = &plan.analysis else {
        let progress = progress
            .cloned()
            .unwrap_or_else(|| Progress::bare(standing));
        let decision = Decision::Hold("the plan has no analysis section".to_owned());
        return finish(decision, progress, record);
    };
    let mut progress = Progress::continue_at(progress, analysis, standing);
    let mut interval = Interval::new(analysis, &progress, now);
    progress.intervals += 1;
    progress.last_at = Some(now);
    progress.paused_for_errors = false;
    let decision = judge(
        plan,
        &mut progress,
        observations,
        &mut record,
        &mut interval,
    );
    if let Some(millis) = interval.baked {
        progress.baked_millis = progress.baked_millis.saturating_add(millis);
    }
    finish(decision, progress, record)
}

/// Timing facts of one interval.
struct Interval {
    /// Milliseconds since the previous look (or the episode's start), at most one
    /// interval: what bakes when this interval has data.
    credit: u64,
    /// The share of a window's counts that belongs to this interval.
    scale: f64,
    /// Have the stage's exposures settled: does the window lie inside the episode, late
    /// reports included?
    split_settled: bool,
    /// Set when the interval counts as bake time.
    baked: Option<u64>,
}

impl Interval {
    fn new(analysis: &crate::release::Analysis, progress: &Progress, now: OffsetDateTime) -> Self {
        let interval = analysis.interval.as_secs().saturating_mul(1000);
        let window = analysis.window().as_secs().saturating_mul(1000);
        let previous = progress.last_at.unwrap_or(progress.since);
        let elapsed = millis(now - previous);
        Interval {
            credit: elapsed.min(interval),
            scale: (interval as f64 / window.max(1) as f64).min(1.0),
            split_settled: millis(now - progress.since) >= window + EXPOSURE_LAG_MILLIS,
            baked: None,
        }
    }
}

fn millis(span: time::Duration) -> u64 {
    u64::try_from(span.whole_milliseconds()).unwrap_or(0)
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
