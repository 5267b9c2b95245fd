//! Judging one interval, in docs/canary-analysis.md's order: data quality (query errors, too few
//! requests, the sample-ratio test), guardrails, the comparison with control, then
//! advance once the stage has baked — and [`finish`], which closes the interval's
//! progress and record with the decision and its reason in words.

use super::check::{self, Reading, finite};
use super::words::{describe_bound, rfc3339, show, span};
use super::{Decision, Interval, Observations, Progress, alpha_share, has_control, has_split};
use crate::analysis::{
    AnalysisRecord, Arm, CheckVerdict, ExposureRecord, QueryOutcome, QueryRecord, SampleRatioTest,
    Verdict,
};
use crate::release::{OnNoData, ReleasePlan, Strategy};

/// Judges the interval: the decision, with `progress`, `record` and `interval` updated
/// along the way.
pub(super) fn judge(
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

pub(super) fn finish(
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
