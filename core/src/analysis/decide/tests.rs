//! Every branch of the decision over synthetic observations.

use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::analysis::{Arm, CheckVerdict, QueryOutcome, QueryRecord};
use crate::release::Strategy;

pub(super) const T0: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

/// A canary 10 % → 50 % → 100 % of everyone, 10 s bakes, 5 s intervals, two checks.
pub(super) fn plan() -> ReleasePlan {
    plan_with(json!({}))
}

/// [`plan`] with `analysis` fields replaced.
pub(super) fn plan_with(analysis: serde_json::Value) -> ReleasePlan {
    let mut base = json!({
        "interval": "5s", "window": "5s", "alpha": 0.05, "min_samples": 100,
        "max_consecutive_errors": 3, "max_stage_duration": "60s", "on_no_data": "hold",
        "checks": [
            { "name": "error-rate", "kind": "ratio", "critical": true,
              "errors": "e{variant=\"{{variant}}\"}", "total": "t{variant=\"{{variant}}\"}",
              "max": 0.02, "consecutive_breaches": 2, "max_relative_increase": 0.25 },
            { "name": "p99-latency", "kind": "value", "query": "q{variant=\"{{variant}}\"}",
              "max": 0.3, "consecutive_breaches": 2 }
        ]
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), analysis.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    serde_json::from_value(json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": "new-checkout", "variant": "on" } ],
        "stages": [
            { "audience": "general", "percent": 10, "bake": "10s" },
            { "audience": "general", "percent": 50, "bake": "10s" },
            { "audience": "general", "percent": 100 }
        ],
        "analysis": base
    }))
    .unwrap()
}

/// One arm's numbers: requests, errors, p99. `None` is no data.
#[derive(Clone, Copy, Debug)]
pub(super) struct ArmData {
    pub(super) total: Option<f64>,
    pub(super) errors: Option<f64>,
    pub(super) p99: Option<f64>,
}

pub(super) const HEALTHY: ArmData = ArmData {
    total: Some(1000.0),
    errors: Some(5.0),
    p99: Some(0.2),
};

pub(super) const NO_DATA: ArmData = ArmData {
    total: None,
    errors: None,
    p99: None,
};

fn outcome(value: Option<f64>) -> QueryOutcome {
    match value {
        Some(value) => QueryOutcome::Value { value },
        None => QueryOutcome::NoData,
    }
}

fn query(arm: Arm, role: &str, outcome: QueryOutcome) -> QueryRecord {
    QueryRecord {
        arm,
        role: role.to_owned(),
        promql: format!("{role}{{arm=\"{arm:?}\"}}"),
        outcome,
    }
}

pub(super) fn standing(stage: usize, percent: f64, since: OffsetDateTime) -> Standing {
    Standing {
        stage,
        percent: Percent::from_percent(percent).unwrap(),
        since,
    }
}

/// Observations of both checks from per-arm numbers.
pub(super) fn observe(standing: Standing, treatment: ArmData, control: ArmData) -> Observations {
    let arms = [(Arm::Treatment, treatment), (Arm::Control, control)];
    let ratio = arms
        .iter()
        .flat_map(|(arm, data)| {
            [
                query(*arm, "errors", outcome(data.errors)),
                query(*arm, "total", outcome(data.total)),
            ]
        })
        .collect();
    let value = arms
        .iter()
        .map(|(arm, data)| query(*arm, "query", outcome(data.p99)))
        .collect();
    Observations {
        standing,
        treatment_variant: "on".to_owned(),
        control_variant: "off".to_owned(),
        checks: vec![
            CheckObservation {
                name: "error-rate".to_owned(),
                queries: ratio,
            },
            CheckObservation {
                name: "p99-latency".to_owned(),
                queries: value,
            },
        ],
        exposures: None,
    }
}

/// Every query failed (Prometheus down).
pub(super) fn unreachable(standing: Standing) -> Observations {
    let mut observations = observe(standing, HEALTHY, HEALTHY);
    for check in &mut observations.checks {
        for q in &mut check.queries {
            q.outcome = QueryOutcome::Error {
                message: "cannot reach Prometheus: connection refused".to_owned(),
            };
        }
    }
    observations
}

/// Runs `decide` for a sequence of observations, one every 5 s from `T0 + 5 s`;
/// returns the decisions.
fn run(plan: &ReleasePlan, sequence: &[Observations]) -> Vec<Decision> {
    let mut progress: Option<Progress> = None;
    let mut decisions = Vec::new();
    for (i, observations) in sequence.iter().enumerate() {
        let now = T0 + time::Duration::seconds(5 * (i as i64 + 1));
        let (decision, next, _) = decide(plan, progress.as_ref(), observations, now);
        progress = Some(next);
        decisions.push(decision);
    }
    decisions
}

fn at(seconds: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(seconds)
}

fn is_hold(d: &Decision) -> bool {
    matches!(d, Decision::Hold(_))
}

#[test]
fn a_healthy_stage_advances_once_it_has_baked_with_data() {
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan(), &vec![observe(s, HEALTHY, HEALTHY); 3]);
    assert!(is_hold(&decisions[0]), "{:?}", decisions[0]);
    assert_eq!(
        decisions[1],
        Decision::Advance,
        "10 s baked after two intervals"
    );
    assert_eq!(decisions[2], Decision::Advance);
}

#[test]
fn the_last_stage_completes_and_ignores_the_missing_control() {
    // At 100 % of everyone nobody is in control: control queries give nothing and the
    // comparison is skipped; guardrails still apply.
    let s = standing(2, 100.0, T0);
    let (decision, progress, record) = decide(&plan(), None, &observe(s, HEALTHY, NO_DATA), at(5));
    assert_eq!(decision, Decision::Complete, "{}", record.reason);
    assert_eq!(record.verdict, Verdict::Complete);
    assert!(
        record
            .checks
            .iter()
            .all(|c| c.statistic.is_none() && c.control.is_none())
    );
    assert_eq!(progress.last_data_at, Some(at(5)));
}

#[test]
fn no_data_holds_without_baking_then_pauses_at_max_stage_duration() {
    let s = standing(0, 10.0, T0);
    let plan = plan();
    let mut progress = None;
    for seconds in (5..60).step_by(5) {
        let (decision, next, record) = decide(
            &plan,
            progress.as_ref(),
            &observe(s, NO_DATA, NO_DATA),
            at(seconds),
        );
        assert!(is_hold(&decision), "{seconds}: {decision:?}");
        assert_eq!(record.baked_seconds, 0);
        assert!(
            record
                .checks
                .iter()
                .all(|c| c.verdict == CheckVerdict::NoData)
        );
        progress = Some(next);
    }
    let (decision, _, record) = decide(
        &plan,
        progress.as_ref(),
        &observe(s, NO_DATA, NO_DATA),
        at(60),
    );
    assert!(matches!(decision, Decision::Pause(_)), "{decision:?}");
    assert!(
        record.reason.contains("max_stage_duration"),
        "{}",
        record.reason
    );
}

#[test]
fn no_data_rolls_back_at_max_stage_duration_when_the_plan_says_so() {
    let plan = plan_with(json!({ "on_no_data": "rollback" }));
    let s = standing(0, 10.0, T0);
    let (early, progress, _) = decide(&plan, None, &observe(s, NO_DATA, NO_DATA), at(55));
    assert!(is_hold(&early));
    let (late, _, _) = decide(
        &plan,
        Some(&progress),
        &observe(s, NO_DATA, NO_DATA),
        at(60),
    );
    assert!(matches!(late, Decision::Rollback(_)), "{late:?}");
}

#[test]
fn the_no_data_clock_runs_from_the_last_interval_with_data() {
    let plan = plan();
    let s = standing(0, 10.0, T0);
    let (_, progress, _) = decide(&plan, None, &observe(s, NO_DATA, NO_DATA), at(50));
    let (_, progress, _) = decide(
        &plan,
        Some(&progress),
        &observe(s, HEALTHY, HEALTHY),
        at(55),
    );
    let (decision, _, _) = decide(
        &plan,
        Some(&progress),
        &observe(s, NO_DATA, NO_DATA),
        at(100),
    );
    assert!(
        is_hold(&decision),
        "45 s without data is within 60 s: {decision:?}"
    );
}

#[test]
fn too_few_requests_in_an_arm_is_no_data() {
    let s = standing(0, 10.0, T0);
    let thin = ArmData {
        total: Some(50.0),
        errors: Some(0.0),
        ..HEALTHY
    };
    let (decision, _, record) = decide(&plan(), None, &observe(s, thin, HEALTHY), at(5));
    assert!(is_hold(&decision));
    assert!(record.reason.contains("treatment"), "{}", record.reason);
    assert!(record.reason.contains("min_samples"), "{}", record.reason);
    assert_eq!(record.baked_seconds, 0);
    let (_, _, record) = decide(&plan(), None, &observe(s, HEALTHY, thin), at(5));
    assert!(record.reason.contains("control"), "{}", record.reason);
}

#[test]
fn an_absent_error_series_next_to_requests_means_no_errors() {
    let s = standing(0, 10.0, T0);
    let clean = ArmData {
        errors: None,
        ..HEALTHY
    };
    let (_, _, record) = decide(&plan(), None, &observe(s, clean, clean), at(5));
    let ratio = &record.checks[0];
    assert_eq!(ratio.verdict, CheckVerdict::Pass);
    assert_eq!(ratio.treatment, Some(0.0));
    assert_eq!(record.baked_seconds, 5);
}

#[test]
fn query_errors_hold_then_pause_and_never_roll_back() {
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan(), &vec![unreachable(s); 5]);
    assert!(
        is_hold(&decisions[0]) && is_hold(&decisions[1]),
        "{decisions:?}"
    );
    assert!(matches!(&decisions[2], Decision::Pause(r) if r.contains("3 analyses in a row")));
    let (_, progress, record) = decide(&plan(), None, &unreachable(s), at(5));
    assert_eq!(progress.consecutive_errors, 1);
    assert!(
        record
            .checks
            .iter()
            .all(|c| c.verdict == CheckVerdict::Error)
    );
}

#[test]
fn a_pause_for_query_errors_is_marked_so_the_controller_can_resume_it() {
    let plan = plan_with(json!({ "max_consecutive_errors": 1 }));
    let s = standing(0, 10.0, T0);
    let (decision, progress, _) = decide(&plan, None, &unreachable(s), at(5));
    assert!(matches!(decision, Decision::Pause(_)));
    assert!(progress.paused_for_errors);
    let (_, progress, _) = decide(
        &plan,
        Some(&progress),
        &observe(s, HEALTHY, HEALTHY),
        at(10),
    );
    assert!(!progress.paused_for_errors);
}

#[test]
fn an_error_in_one_check_makes_the_whole_interval_an_error() {
    let bad = ArmData {
        total: Some(1000.0),
        errors: Some(900.0),
        p99: Some(9.0),
    };
    let s = standing(0, 10.0, T0);
    let mut observations = observe(s, bad, HEALTHY);
    observations.checks[1].queries[0].outcome = QueryOutcome::Error {
        message: "timeout".to_owned(),
    };
    let plan = plan_with(json!({ "max_consecutive_errors": 10 }));
    for decision in run(&plan, &vec![observations; 6]) {
        assert!(is_hold(&decision), "{decision:?}");
    }
}

#[test]
fn query_errors_in_a_row_are_counted_again_after_a_success() {
    let s = standing(0, 10.0, T0);
    let mut sequence = vec![unreachable(s), unreachable(s), observe(s, HEALTHY, HEALTHY)];
    sequence.extend(vec![unreachable(s); 2]);
    let decisions = run(&plan(), &sequence);
    assert!(
        decisions.iter().all(|d| !matches!(d, Decision::Pause(_))),
        "{decisions:?}"
    );
}

fn breaching() -> ArmData {
    ArmData {
        total: Some(1000.0),
        errors: Some(40.0),
        ..HEALTHY
    }
}

fn breaching_control() -> ArmData {
    // Control equally bad: the comparison finds nothing, only the guardrail speaks.
    breaching()
}

#[test]
fn one_breach_does_not_roll_back_when_two_are_needed() {
    let s = standing(0, 10.0, T0);
    let (decision, progress, record) = decide(
        &plan(),
        None,
        &observe(s, breaching(), breaching_control()),
        at(5),
    );
    assert!(is_hold(&decision), "{decision:?}");
    assert_eq!(record.checks[0].verdict, CheckVerdict::Breach);
    assert_eq!(record.checks[0].breaches_in_row, 1);
    let (decision, _, record) = decide(
        &plan(),
        Some(&progress),
        &observe(s, breaching(), breaching_control()),
        at(10),
    );
    assert!(
        matches!(&decision, Decision::Rollback(r) if r.contains("guardrail error-rate")),
        "{decision:?}"
    );
    assert_eq!(record.checks[0].breaches_in_row, 2);
}

#[test]
fn a_passing_interval_ends_a_run_of_breaches_and_no_data_does_not() {
    let s = standing(0, 10.0, T0);
    let b = observe(s, breaching(), breaching_control());
    let ok = observe(s, HEALTHY, HEALTHY);
    let gap = observe(s, NO_DATA, NO_DATA);
    let mut plan = plan();
    plan.stages[0].bake = crate::release::Duration::from_secs(600);
    let decisions = run(&plan, &[b.clone(), ok, b.clone(), gap, b]);
    assert!(decisions[..4].iter().all(is_hold), "{decisions:?}");
    assert!(
        matches!(decisions[4], Decision::Rollback(_)),
        "{decisions:?}"
    );
}

#[test]
fn a_breach_holds_the_stage_even_when_baked() {
    let plan = plan_with(json!({}));
    let s = standing(0, 10.0, T0);
    let decisions = run(
        &plan,
        &[
            observe(s, HEALTHY, HEALTHY),
            observe(s, HEALTHY, HEALTHY),
            observe(s, breaching(), breaching_control()),
        ],
    );
    assert_eq!(decisions[1], Decision::Advance);
    assert!(matches!(&decisions[2], Decision::Hold(r) if r.contains("rolls back at 2")));
}

#[test]
fn a_value_guardrail_reads_the_value() {
    let slow = ArmData {
        p99: Some(0.8),
        ..HEALTHY
    };
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan(), &vec![observe(s, slow, slow); 2]);
    assert!(
        matches!(&decisions[1], Decision::Rollback(r) if r.contains("p99-latency") && r.contains("above max 0.3"))
    );
}

#[test]
fn an_infinite_quantile_breaches_and_is_recorded_as_a_finite_number() {
    let s = standing(0, 10.0, T0);
    let stuck = ArmData {
        p99: Some(f64::INFINITY),
        ..HEALTHY
    };
    let (_, _, record) = decide(&plan(), None, &observe(s, stuck, HEALTHY), at(5));
    assert_eq!(record.checks[1].verdict, CheckVerdict::Breach);
    assert_eq!(record.checks[1].treatment, Some(f64::MAX));
    let json = serde_json::to_string(&record).unwrap();
    let back: AnalysisRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, record);
}

/// Treatment errors five times control's, below the 2 % guardrail.
fn regressed() -> (ArmData, ArmData) {
    (
        ArmData {
            total: Some(2000.0),
            errors: Some(30.0),
            ..HEALTHY
        },
        ArmData {
            total: Some(2000.0),
            errors: Some(6.0),
            ..HEALTHY
        },
    )
}

#[test]
fn a_critical_regression_against_control_rolls_back() {
    let (t, c) = regressed();
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan(), &vec![observe(s, t, c); 6]);
    let first = decisions
        .iter()
        .position(|d| !is_hold(d) && *d != Decision::Advance);
    let Some(first) = first else {
        panic!("never caught: {decisions:?}")
    };
    assert!(
        matches!(&decisions[first], Decision::Rollback(r) if r.contains("worse than control")),
        "{decisions:?}"
    );
}

#[test]
fn a_non_critical_regression_pauses() {
    let mut plan = plan();
    if let Some(analysis) = &mut plan.analysis {
        analysis.checks[0].critical = false;
    }
    let (t, c) = regressed();
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan, &vec![observe(s, t, c); 6]);
    assert!(
        decisions
            .iter()
            .any(|d| matches!(d, Decision::Pause(r) if r.contains("non-critical"))),
        "{decisions:?}"
    );
    assert!(!decisions.iter().any(|d| matches!(d, Decision::Rollback(_))));
}

#[test]
fn the_comparison_is_recorded_with_its_threshold() {
    let s = standing(0, 10.0, T0);
    let (_, _, record) = decide(&plan(), None, &observe(s, HEALTHY, HEALTHY), at(5));
    let ratio = &record.checks[0];
    assert_eq!(ratio.treatment, Some(0.005));
    assert_eq!(ratio.control, Some(0.005));
    // alpha 0.05 split over two checks and the sample-ratio test.
    assert!((ratio.threshold.unwrap() - 60.0).abs() < 1e-6, "{ratio:?}");
    assert!(ratio.statistic.unwrap() < 1.0);
}

#[test]
fn a_maintenance_window_holds_a_healthy_baked_stage() {
    let mut plan = plan();
    plan.schedule.maintenance_windows = vec![crate::release::MaintenanceWindow {
        start: at(0),
        end: at(12),
    }];
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan, &vec![observe(s, HEALTHY, HEALTHY); 3]);
    assert!(matches!(&decisions[1], Decision::Hold(r) if r.contains("maintenance")));
    assert_eq!(decisions[2], Decision::Advance, "after the window");
}

#[test]
fn a_ramped_release_is_never_advanced_by_analysis() {
    let mut plan = plan();
    plan.strategy = Strategy::Ramped;
    let s = standing(0, 10.0, T0);
    let decisions = run(&plan, &vec![observe(s, HEALTHY, HEALTHY); 4]);
    assert!(decisions.iter().all(is_hold), "{decisions:?}");
    let decisions = run(
        &plan,
        &vec![observe(s, breaching(), breaching_control()); 2],
    );
    assert!(
        matches!(decisions[1], Decision::Rollback(_)),
        "but it can stop it"
    );
}

#[test]
fn bake_credit_is_at_most_one_interval_per_analysis() {
    // The controller was away for a minute: one interval's worth of bake, not sixty.
    let s = standing(0, 10.0, T0);
    let (decision, progress, _) = decide(&plan(), None, &observe(s, HEALTHY, HEALTHY), at(60));
    assert!(is_hold(&decision));
    assert_eq!(progress.baked_seconds(), 5);
}

#[test]
fn overlapping_windows_scale_the_counts_for_the_minimum() {
    // A 20 s window read every 5 s: each interval owns a quarter of the window's counts.
    let plan = plan_with(json!({ "window": "20s" }));
    let s = standing(0, 10.0, T0);
    let (_, _, record) = decide(&plan, None, &observe(s, HEALTHY, HEALTHY), at(5));
    assert_eq!(record.baked_seconds, 5, "{}", record.reason);
    let (_, _, record) = decide(
        &plan_with(json!({ "window": "20s", "min_samples": 300 })),
        None,
        &observe(s, HEALTHY, HEALTHY),
        at(5),
    );
    assert!(
        record.reason.contains("250 this interval"),
        "{}",
        record.reason
    );
}

fn with_exposures(mut observations: Observations, treatment: f64, control: f64) -> Observations {
    observations.exposures = Some(ExposureObservation {
        treatment: query(
            Arm::Treatment,
            "exposures",
            QueryOutcome::Value { value: treatment },
        ),
        control: query(
            Arm::Control,
            "exposures",
            QueryOutcome::Value { value: control },
        ),
    });
    observations
}

#[test]
fn a_sample_ratio_mismatch_pauses() {
    // The stage has run long enough for late exposure reports to have arrived.
    let s = standing(0, 10.0, T0 - time::Duration::minutes(10));
    let skewed = with_exposures(observe(s, HEALTHY, HEALTHY), 3000.0, 7000.0);
    let decisions = run(&plan(), &vec![skewed; 3]);
    assert!(
        decisions
            .iter()
            .any(|d| matches!(d, Decision::Pause(r) if r.contains("sample-ratio"))),
        "{decisions:?}"
    );
    let fair = with_exposures(observe(s, HEALTHY, HEALTHY), 1000.0, 9000.0);
    let (_, _, record) = decide(&plan(), None, &fair, at(5));
    assert!(record.exposures.is_some(), "{}", record.reason);
    let exposures = record.exposures.unwrap();
    assert!(!exposures.mismatch);
    assert_eq!(exposures.queries.len(), 2);
    assert!((exposures.expected_share - 0.1).abs() < 1e-12);
}

#[test]
fn the_split_is_not_judged_while_the_window_may_hold_the_previous_stages_exposures() {
    let plan = plan_with(json!({ "window": "20s" }));
    let s = standing(1, 50.0, at(0));
    // Exposures made at 10 % may still be arriving (SDKs report in batches): not a
    // mismatch of the 50 % split.
    let mixed = with_exposures(observe(s, HEALTHY, HEALTHY), 1000.0, 9000.0);
    let mut progress = None;
    for seconds in (5..80).step_by(5) {
        let (decision, next, record) = decide(&plan, progress.as_ref(), &mixed, at(seconds));
        assert!(record.exposures.is_none(), "{seconds} s");
        assert!(
            !matches!(decision, Decision::Pause(_)),
            "{seconds} s: {decision:?}"
        );
        progress = Some(next);
    }
    // A window that starts a minute after the stage: judged.
    let (_, _, record) = decide(&plan, progress.as_ref(), &mixed, at(80));
    assert!(record.exposures.is_some());
}

#[test]
fn exposure_query_errors_are_query_errors() {
    let s = standing(0, 10.0, T0);
    let mut observations = with_exposures(observe(s, HEALTHY, HEALTHY), 1.0, 9.0);
    if let Some(e) = &mut observations.exposures {
        e.control.outcome = QueryOutcome::Error {
            message: "bad_data".to_owned(),
        };
    }
    let (decision, progress, _) = decide(&plan(), None, &observations, at(5));
    assert!(matches!(&decision, Decision::Hold(r) if r.contains("exposures")));
    assert_eq!(progress.consecutive_errors, 1);
}

#[test]
fn a_value_check_bounded_from_below_treats_lower_as_worse() {
    let plan = plan_with(json!({ "checks": [
        { "name": "conversion", "kind": "value", "critical": true, "query": "c{v=\"{{variant}}\"}",
          "min": 0.01, "consecutive_breaches": 2 }
    ]}));
    let s = standing(0, 10.0, T0);
    let value = |v: f64| ArmData {
        p99: Some(v),
        ..NO_DATA
    };
    let wobble = [0.001, -0.002, 0.0015, 0.0, -0.001, 0.002, 0.0005, -0.0005];
    let mut progress = None;
    let mut caught = None;
    for (i, w) in wobble.iter().cycle().take(24).enumerate() {
        let mut observations = observe(s, value(0.02 + w), value(0.05));
        observations.checks = vec![CheckObservation {
            name: "conversion".to_owned(),
            queries: observations.checks[1].queries.clone(),
        }];
        let (decision, next, _) = decide(
            &plan,
            progress.as_ref(),
            &observations,
            at(5 * (i as i64 + 1)),
        );
        progress = Some(next);
        if matches!(decision, Decision::Rollback(_)) {
            caught = Some(i);
            break;
        }
    }
    assert!(
        caught.is_some(),
        "a conversion at 40 % of control's is a regression"
    );
}

#[test]
fn the_same_episode_continues_and_a_person_starts_a_new_one() {
    let analysis = plan().analysis.unwrap();
    let s = standing(0, 10.0, T0);
    let (_, progress, _) = decide(&plan(), None, &observe(s, HEALTHY, HEALTHY), at(5));
    assert_eq!(
        Progress::continue_at(Some(&progress), &analysis, &s),
        progress
    );
    // Resumed by a person: same stage, new start.
    let resumed = standing(0, 10.0, at(30));
    let fresh = Progress::continue_at(Some(&progress), &analysis, &resumed);
    assert_eq!(fresh, Progress::start(&analysis, &resumed));
}

#[test]
fn the_comparisons_carry_over_when_the_controller_advanced() {
    let analysis = plan().analysis.unwrap();
    let s = standing(0, 10.0, T0);
    let somewhat = ArmData {
        total: Some(2000.0),
        errors: Some(9.0),
        ..HEALTHY
    };
    let (_, progress, _) = decide(&plan(), None, &observe(s, somewhat, HEALTHY), at(5));
    let (decision, progress, _) = decide(
        &plan(),
        Some(&progress),
        &observe(s, HEALTHY, HEALTHY),
        at(10),
    );
    assert_eq!(decision, Decision::Advance);
    let next = standing(1, 50.0, at(10));
    let carried = Progress::continue_at(Some(&progress), &analysis, &next);
    assert_eq!(
        carried.checks,
        progress
            .checks
            .iter()
            .map(|c| CheckProgress {
                breaches_in_row: 0,
                ..c.clone()
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(carried.baked_millis, 0);
    // A person promoted instead: fresh tests.
    let mut by_hand = progress.clone();
    by_hand.last_verdict = Some(Verdict::Hold);
    let fresh = Progress::continue_at(Some(&by_hand), &analysis, &next);
    assert_eq!(fresh, Progress::start(&analysis, &next));
}

#[test]
fn progress_survives_a_trip_through_json() {
    let s = standing(0, 10.0, T0);
    let observations = with_exposures(observe(s, HEALTHY, HEALTHY), 1000.0, 9000.0);
    let (_, progress, _) = decide(&plan(), None, &observations, at(70));
    assert!(progress.sample_ratio.is_some());
    let json = serde_json::to_value(&progress).unwrap();
    assert_eq!(serde_json::from_value::<Progress>(json).unwrap(), progress);
}

#[test]
fn a_missing_stage_pauses() {
    let s = standing(7, 10.0, T0);
    let (decision, _, _) = decide(&plan(), None, &observe(s, HEALTHY, HEALTHY), at(5));
    assert!(matches!(decision, Decision::Pause(r) if r.contains("stage 7")));
}

#[test]
fn a_plan_without_analysis_holds() {
    let mut plan = plan();
    plan.analysis = None;
    let s = standing(0, 10.0, T0);
    let (decision, _, _) = decide(&plan, None, &observe(s, HEALTHY, HEALTHY), at(5));
    assert!(is_hold(&decision));
}

#[test]
fn decisions_serialize_with_their_reason() {
    assert_eq!(
        serde_json::to_value(Decision::Pause("why".to_owned())).unwrap(),
        json!({ "decision": "pause", "reason": "why" })
    );
    assert_eq!(
        serde_json::to_value(Decision::Advance).unwrap(),
        json!({ "decision": "advance" })
    );
}
