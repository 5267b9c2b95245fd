//! Comparison with control: a critical check's regression rolls back, another's pauses,
//! and the evidence is recorded with its threshold.

use super::fixtures::{
    ArmData, HEALTHY, NO_DATA, T0, at, is_hold, observe, plan, plan_with, run, standing,
};
use crate::analysis::decide::{CheckObservation, Decision, decide};
use serde_json::json;

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
