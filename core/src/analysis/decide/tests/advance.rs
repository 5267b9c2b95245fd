//! Advance and bake: a healthy stage advances once it has baked with data, the last one
//! completes, and maintenance windows and ramped releases hold.

use super::fixtures::{
    HEALTHY, NO_DATA, T0, at, breaching, breaching_control, is_hold, observe, plan, run, standing,
};
use crate::analysis::Verdict;
use crate::analysis::decide::{Decision, decide};
use crate::release::Strategy;

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
