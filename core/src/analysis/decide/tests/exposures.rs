//! Exposures and the sample-ratio test: a mismatch pauses, the split is judged only once
//! its window lies inside the stage, and exposure query errors are query errors.

use super::fixtures::{HEALTHY, T0, at, observe, plan, plan_with, run, standing, with_exposures};
use crate::analysis::QueryOutcome;
use crate::analysis::decide::{Decision, decide};
use serde_json::json;

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
