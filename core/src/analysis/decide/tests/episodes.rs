//! The progress carried between intervals: which episode an interval continues, what
//! carries over on an advance, and how progress and decisions serialize.

use super::fixtures::{ArmData, HEALTHY, T0, at, observe, plan, standing, with_exposures};
use crate::analysis::Verdict;
use crate::analysis::decide::{CheckProgress, Decision, Progress, decide};
use serde_json::json;

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
