//! Data quality: no data holds (and gives up at `max_stage_duration`), too few requests
//! is no data, and a query error makes the whole interval an error that pauses, never
//! rolls back.

use super::fixtures::{
    ArmData, HEALTHY, NO_DATA, T0, at, is_hold, observe, plan, plan_with, run, standing,
    unreachable,
};
use crate::analysis::decide::{Decision, decide};
use crate::analysis::{CheckVerdict, QueryOutcome};
use serde_json::json;

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
