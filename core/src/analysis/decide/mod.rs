//! The canary decision (ANALYSIS.md): given the plan, what the previous intervals left
//! ([`Progress`]), this interval's query results ([`Observations`]) and `now`, decide
//! whether the release advances, holds, pauses, rolls back or completes — and say why
//! in an [`AnalysisRecord`].
//!
//! In ANALYSIS.md's order:
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

mod check;
mod progress;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use progress::{CheckProgress, Comparison, Progress, alpha_share};

use self::check::{Reading, finite};
use crate::analysis::{
    AnalysisRecord, Arm, CheckVerdict, ExposureRecord, QueryOutcome, QueryRecord, SampleRatioTest,
    Verdict,
};
use crate::release::validate::EVERYONE;
use crate::release::{OnNoData, Percent, ReleasePlan, Strategy};

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

fn judge(
    plan: &ReleasePlan,
    progress: &mut Progress,
    observations: &Observations,
    record: &mut AnalysisRecord,
    interval: &mut Interval,
) -> Decision {
    let Some(analysis) = &plan.analysis else {
        return Decision::Hold("the plan has no analysis section".to_owned());
    };
    let standing = &observations.standing;
    let Some(stage) = plan.stages.get(standing.stage) else {
        return Decision::Pause(format!(
            "stage {} does not exist; the plan has {} stages",
            standing.stage,
            plan.stages.len()
        ));
    };
    let control = has_control(plan, standing);

    // 1. Data quality: query errors.
    let mut readings = Vec::with_capacity(analysis.checks.len());
    for check in &analysis.checks {
        let observed = observations.checks.iter().find(|c| c.name == check.name);
        let queries = observed.map_or(&[][..], |c| c.queries.as_slice());
        record.checks.push(check::record(check, queries));
        readings.push(match observed {
            Some(observed) => check::read(check, &observed.queries, control),
            None => Reading::Error(format!("check {:?} was not queried", check.name)),
        });
    }
    let exposure_error = observations.exposures.as_ref().and_then(|e| {
        [&e.treatment, &e.control]
            .into_iter()
            .find_map(|q| match &q.outcome {
                QueryOutcome::Error { message } => Some(message.clone()),
                _ => None,
            })
    });
    let first_error = readings
        .iter()
        .zip(&analysis.checks)
        .find_map(|(reading, check)| match reading {
            Reading::Error(message) => Some(format!("check {}: {message}", check.name)),
            _ => None,
        })
        .or(exposure_error.map(|m| format!("exposures: {m}")));
    if let Some(error) = first_error {
        for (rec, reading) in record.checks.iter_mut().zip(&readings) {
            if matches!(reading, Reading::Error(_)) {
                rec.verdict = CheckVerdict::Error;
            }
        }
        progress.consecutive_errors = progress.consecutive_errors.saturating_add(1);
        let (count, limit) = (progress.consecutive_errors, analysis.max_consecutive_errors);
        return if count >= limit {
            progress.paused_for_errors = true;
            Decision::Pause(format!(
                "Prometheus could not be queried in {count} analyses in a row (last: {error}); paused until it answers again"
            ))
        } else {
            Decision::Hold(format!(
                "query error {count} of {limit} allowed in a row: {error}"
            ))
        };
    }
    progress.consecutive_errors = 0;

    // 1b. Data quality: enough requests in each arm.
    let short = short_arm(
        analysis.min_samples,
        &readings,
        observations,
        control,
        interval,
    );
    if short.is_some() {
        readings.iter_mut().for_each(|r| *r = Reading::NoData);
    }

    // 1c. Data quality: the split itself.
    if let Some(exposures) = &observations.exposures
        && has_split(standing)
        && interval.split_settled
    {
        let count = |q: &QueryRecord| match q.outcome {
            QueryOutcome::Value { value } if value.is_finite() && value > 0.0 => value.min(1e15),
            _ => 0.0,
        };
        let (treatment, control_count) = (count(&exposures.treatment), count(&exposures.control));
        if treatment + control_count > 0.0 {
            let expected = standing.percent.as_f64() / 100.0;
            let test = progress
                .sample_ratio
                .get_or_insert_with(|| SampleRatioTest::new(alpha_share(analysis), expected));
            test.observe(treatment * interval.scale, control_count * interval.scale);
            let mismatch = test.mismatch();
            record.exposures = Some(ExposureRecord {
                treatment,
                control: control_count,
                expected_share: expected,
                observed_share: test.observed_share(),
                statistic: finite(test.evidence().statistic()),
                mismatch,
                queries: vec![exposures.treatment.clone(), exposures.control.clone()],
            });
            if mismatch {
                return Decision::Pause(format!(
                    "sample-ratio mismatch: the treatment got {:.2} % of the split's exposures, the split says {:.2} %; the assignment is broken, so no metric can be trusted",
                    100.0 * test.observed_share().unwrap_or(0.0),
                    100.0 * expected
                ));
            }
        }
    }

    // 2 and 3. Guardrails and the comparison with control, for every check with data.
    let mut fired: Option<String> = None;
    let mut critical: Option<String> = None;
    let mut regression: Option<String> = None;
    let mut breaching: Option<String> = None;
    for (((check, reading), rec), state) in analysis
        .checks
        .iter()
        .zip(&readings)
        .zip(record.checks.iter_mut())
        .zip(progress.checks.iter_mut())
    {
        let Reading::Values {
            treatment,
            control: control_value,
        } = *reading
        else {
            rec.breaches_in_row = state.breaches_in_row;
            continue;
        };
        rec.treatment = Some(finite(treatment.value()));
        rec.control = control_value.map(|c| finite(c.value()));
        let breach = check::breached(check, treatment);
        state.breaches_in_row = if breach {
            state.breaches_in_row.saturating_add(1)
        } else {
            0
        };
        rec.breaches_in_row = state.breaches_in_row;
        rec.verdict = if breach {
            CheckVerdict::Breach
        } else {
            CheckVerdict::Pass
        };
        if breach {
            let bound = describe_bound(check.max, check.min, treatment.value());
            let text = format!(
                "{}: treatment {} {bound} in {} analyses in a row",
                check.name,
                show(treatment.value()),
                state.breaches_in_row
            );
            if state.breaches_in_row >= check.consecutive_breaches {
                fired.get_or_insert(format!("guardrail {text}"));
            } else {
                breaching.get_or_insert(format!(
                    "{text} (rolls back at {})",
                    check.consecutive_breaches
                ));
            }
        }
        if let Some(control_value) = control_value {
            check::compare(check, state, treatment, control_value, interval.scale);
            let (statistic, threshold, rejected) = check::evidence(state);
            rec.statistic = Some(statistic);
            rec.threshold = Some(threshold);
            if rejected {
                rec.verdict = CheckVerdict::Regression;
                let text = format!(
                    "{}: the treatment is worse than control beyond the tolerated {:.0} % (treatment {}, control {}; evidence {} ≥ {})",
                    check.name,
                    100.0 * check.max_relative_increase.unwrap_or(0.0),
                    show(treatment.value()),
                    show(control_value.value()),
                    show(statistic),
                    show(threshold)
                );
                if check.critical {
                    critical.get_or_insert(text);
                } else {
                    regression.get_or_insert(text);
                }
            }
        }
    }
    if let Some(reason) = fired.or(critical) {
        return Decision::Rollback(reason);
    }
    if let Some(reason) = regression {
        return Decision::Pause(format!("non-critical regression: {reason}"));
    }

    // 1d. No data: hold, and give up at max_stage_duration.
    let complete = readings.iter().all(|r| matches!(r, Reading::Values { .. }));
    if !complete {
        let why = match &short {
            Some(why) => why.clone(),
            None => {
                let missing: Vec<&str> = analysis
                    .checks
                    .iter()
                    .zip(&readings)
                    .filter(|(_, r)| !matches!(r, Reading::Values { .. }))
                    .map(|(c, _)| c.name.as_str())
                    .collect();
                format!("no data for {}", missing.join(", "))
            }
        };
        let since = progress.last_data_at.unwrap_or(progress.since);
        let without = record.at - since;
        if let Some(longest) = analysis.max_stage_duration
            && without >= longest.to_time()
        {
            let text = format!(
                "{why}; the stage has gone {} without data (max_stage_duration {longest})",
                span(without)
            );
            return match analysis.on_no_data {
                OnNoData::Hold => Decision::Pause(text),
                OnNoData::Rollback => Decision::Rollback(text),
            };
        }
        return Decision::Hold(format!("{why}: holding; no data is never a pass"));
    }
    progress.last_data_at = Some(record.at);
    interval.baked = Some(interval.credit);
    let baked = progress.baked_millis.saturating_add(interval.credit);

    // 4. Advance.
    if let Some(end) = plan.schedule.maintenance_end(record.at) {
        return Decision::Hold(format!(
            "inside a maintenance window until {}: no advance",
            rfc3339(end)
        ));
    }
    if let Some(reason) = breaching {
        return Decision::Hold(reason);
    }
    let bake = stage.bake.map_or(0, |b| b.as_secs().saturating_mul(1000));
    if baked < bake {
        return Decision::Hold(format!(
            "healthy; baking: {} s of {} s with data",
            baked / 1000,
            bake / 1000
        ));
    }
    if plan.strategy == Strategy::Ramped {
        return Decision::Hold(
            "healthy; a ramped release advances on its schedule (analysis can only stop it)"
                .to_owned(),
        );
    }
    if standing.stage + 1 >= plan.stages.len() {
        Decision::Complete
    } else {
        Decision::Advance
    }
}

/// Why an arm is short of requests, if one is. Requests come from the ratio checks'
/// totals (the largest per arm), or, without ratio checks, from the exposures.
fn short_arm(
    min_samples: u64,
    readings: &[Reading],
    observations: &Observations,
    control: bool,
    interval: &Interval,
) -> Option<String> {
    let min = min_samples as f64;
    let mut arms: Vec<(Arm, Option<f64>)> = vec![(Arm::Treatment, None), (Arm::Control, None)];
    for reading in readings {
        if let Reading::Values {
            treatment,
            control: control_value,
        } = reading
        {
            let mut offer = |index: usize, requests: Option<f64>| {
                if let (Some(slot), Some(requests)) = (arms.get_mut(index), requests) {
                    slot.1 = Some(slot.1.map_or(requests, |r: f64| r.max(requests)));
                }
            };
            offer(0, treatment.requests());
            offer(1, control_value.and_then(|c| c.requests()));
        }
    }
    if arms.iter().all(|(_, r)| r.is_none())
        && let Some(exposures) = &observations.exposures
    {
        let count = |q: &QueryRecord| match q.outcome {
            QueryOutcome::Value { value } if value.is_finite() => Some(value.max(0.0)),
            _ => None,
        };
        arms = vec![
            (Arm::Treatment, count(&exposures.treatment)),
            (Arm::Control, count(&exposures.control)),
        ];
    }
    arms.into_iter()
        .filter(|(arm, _)| *arm == Arm::Treatment || control)
        .find_map(|(arm, requests)| {
            let per_interval = requests? * interval.scale;
            (per_interval < min).then(|| {
                format!(
                    "too few requests in the {} arm: {per_interval:.0} this interval, min_samples is {min_samples}",
                    match arm {
                        Arm::Treatment => "treatment",
                        Arm::Control => "control",
                    }
                )
            })
        })
}

fn finish(
    decision: Decision,
    mut progress: Progress,
    mut record: AnalysisRecord,
) -> (Decision, Progress, AnalysisRecord) {
    let verdict = decision.verdict();
    if verdict != Verdict::Pause {
        progress.paused_for_errors = false;
    }
    progress.last_verdict = Some(verdict);
    record.verdict = verdict;
    record.baked_seconds = progress.baked_seconds();
    record.reason = match &decision {
        Decision::Advance => format!(
            "stage {} passed: baked {} s with data, every check healthy; advancing",
            record.stage,
            progress.baked_seconds()
        ),
        Decision::Complete => format!(
            "the last stage ({}) passed: baked {} s with data, every check healthy; complete",
            record.stage,
            progress.baked_seconds()
        ),
        Decision::Hold(reason) | Decision::Pause(reason) | Decision::Rollback(reason) => {
            reason.clone()
        }
    };
    (decision, progress, record)
}

fn describe_bound(max: Option<f64>, min: Option<f64>, value: f64) -> String {
    match (max, min) {
        (Some(max), _) if value > max => format!("above max {}", show(max)),
        (_, Some(min)) if value < min => format!("below min {}", show(min)),
        _ => "out of bounds".to_owned(),
    }
}

/// A number for people: a few significant digits.
fn show(value: f64) -> String {
    if !value.is_finite() {
        return if value > 0.0 { "+inf" } else { "-inf" }.to_owned();
    }
    if value != 0.0 && value.abs() < 0.001 {
        return format!("{value:.2e}");
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn span(duration: time::Duration) -> String {
    format!("{} s", duration.whole_seconds().max(0))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
