//! Properties of the decision over random sequences of intervals: no data never
//! advances and never rolls back before `max_stage_duration`; query errors never roll
//! back and never advance; a guardrail fires exactly at its `consecutive_breaches`-th
//! breach in a row; every record is finite JSON.

use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::tests::fixtures::{ArmData, HEALTHY, NO_DATA, T0, observe, plan, plan_with, standing};
use super::{AnalysisRecord, Decision, Progress, decide};
use crate::analysis::QueryOutcome;

/// A way for one interval to have no usable data.
fn no_data() -> impl Strategy<Value = (ArmData, ArmData)> {
    let thin = (0.0..99.0f64).prop_map(|total| ArmData {
        total: Some(total),
        errors: Some(total / 2.0),
        p99: Some(5.0),
    });
    prop_oneof![
        Just((NO_DATA, NO_DATA)),
        Just((NO_DATA, HEALTHY)),
        Just((HEALTHY, NO_DATA)),
        thin.clone().prop_map(|t| (t, HEALTHY)),
        thin.prop_map(|c| (HEALTHY, c)),
    ]
}

/// Any numbers, including bad ones.
fn any_arm() -> impl Strategy<Value = ArmData> {
    let number = prop_oneof![
        Just(None),
        (0.0..5000.0f64).prop_map(Some),
        Just(Some(f64::INFINITY)),
        Just(Some(f64::NAN)),
        Just(Some(-1.0)),
    ];
    (number.clone(), number.clone(), number).prop_map(|(total, errors, p99)| ArmData {
        total,
        errors,
        p99,
    })
}

/// Increasing times from `T0`, each step 1..=12 s, all before `limit` seconds.
fn times(steps: Vec<i64>, limit: i64) -> Vec<OffsetDateTime> {
    let mut t = 0;
    steps
        .into_iter()
        .map_while(|step| {
            t += step;
            (t < limit).then(|| T0 + time::Duration::seconds(t))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_data_never_advances_or_rolls_back_before_max_stage_duration(
        intervals in prop::collection::vec((no_data(), 1..=12i64), 1..30),
        rollback in any::<bool>(),
    ) {
        let plan = plan_with(json!({ "on_no_data": if rollback { "rollback" } else { "hold" } }));
        let s = standing(0, 10.0, T0);
        let steps = intervals.iter().map(|(_, step)| *step).collect();
        let mut progress = None;
        for (now, ((t, c), _)) in times(steps, 60).into_iter().zip(&intervals) {
            let (decision, next, record) = decide(&plan, progress.as_ref(), &observe(s, *t, *c), now);
            prop_assert!(matches!(decision, Decision::Hold(_)), "{:?}", decision);
            prop_assert_eq!(record.baked_seconds, 0);
            progress = Some(next);
        }
    }

    #[test]
    fn query_errors_never_roll_back_and_never_advance(
        intervals in prop::collection::vec((any_arm(), any_arm(), 0..12usize), 1..30),
    ) {
        let plan = plan_with(json!({ "max_consecutive_errors": 100 }));
        let s = standing(0, 10.0, T0);
        let mut progress = None;
        for (i, (t, c, broken)) in intervals.iter().enumerate() {
            let mut observations = observe(s, *t, *c);
            // Break one query of the interval (there are six).
            let (check, index) = if *broken < 4 { (0, *broken) } else { (1, (*broken - 4) % 2) };
            observations.checks[check].queries[index].outcome =
                QueryOutcome::Error { message: "timeout".to_owned() };
            let now = T0 + time::Duration::seconds(5 * (i as i64 + 1));
            let (decision, next, record) = decide(&plan, progress.as_ref(), &observations, now);
            prop_assert!(matches!(decision, Decision::Hold(_)), "{:?}", decision);
            prop_assert_eq!(record.baked_seconds, 0);
            progress = Some(next);
        }
    }

    #[test]
    fn a_guardrail_fires_exactly_at_its_second_breach_in_a_row(
        intervals in prop::collection::vec(0..3u8, 1..30),
    ) {
        // 0: healthy, 1: breach (both arms equally bad), 2: no data.
        let mut plan = plan();
        plan.stages[0].bake = crate::release::Duration::from_secs(10_000);
        let s = standing(0, 10.0, T0);
        let bad = ArmData { errors: Some(40.0), ..HEALTHY };
        let mut progress = None;
        let mut run = 0;
        for (i, kind) in intervals.iter().enumerate() {
            let (t, c) = match kind { 0 => (HEALTHY, HEALTHY), 1 => (bad, bad), _ => (NO_DATA, NO_DATA) };
            match kind { 0 => run = 0, 1 => run += 1, _ => {} }
            let now = T0 + time::Duration::seconds(5 * (i as i64 + 1));
            let (decision, next, _) = decide(&plan, progress.as_ref(), &observe(s, t, c), now);
            if run >= 2 {
                prop_assert!(matches!(decision, Decision::Rollback(_)), "{:?}", decision);
                break;
            }
            prop_assert!(matches!(decision, Decision::Hold(_)), "{:?}", decision);
            progress = Some(next);
        }
    }

    #[test]
    fn every_record_and_progress_is_finite_json(
        intervals in prop::collection::vec((any_arm(), any_arm()), 1..12),
    ) {
        let s = standing(0, 10.0, T0);
        let mut progress = None;
        for (i, (t, c)) in intervals.iter().enumerate() {
            let now = T0 + time::Duration::seconds(5 * (i as i64 + 1));
            let (_, next, record) = decide(&plan(), progress.as_ref(), &observe(s, *t, *c), now);
            let text = serde_json::to_string(&record).unwrap();
            prop_assert!(!text.contains(":null"), "{}", text);
            // (serde_json reads floats back to within an ulp; the shape is what matters.)
            let back = serde_json::from_str::<AnalysisRecord>(&text).unwrap();
            prop_assert_eq!(back.checks.len(), record.checks.len());
            let text = serde_json::to_string(&next).unwrap();
            prop_assert!(!text.contains(":null"), "{}", text);
            let back = serde_json::from_str::<Progress>(&text).unwrap();
            prop_assert_eq!(back.checks.len(), next.checks.len());
            progress = Some(next);
        }
    }
}
