//! Guardrails: a bound breached `consecutive_breaches` times in a row rolls back; fewer
//! breaches hold the stage.

use super::fixtures::{
    ArmData, HEALTHY, NO_DATA, T0, at, breaching, breaching_control, is_hold, observe, plan,
    plan_with, run, standing,
};
use crate::analysis::decide::{Decision, decide};
use crate::analysis::{AnalysisRecord, CheckVerdict};
use serde_json::json;

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
