#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::release::testing::{TestCatalog, example, example_json};
use crate::release::validate_plan;

fn plan_with_watch(watch: serde_json::Value) -> Result<ReleasePlan, serde_json::Error> {
    let mut plan = example_json();
    plan["schedule"] = json!({});
    plan["watch"] = watch;
    serde_json::from_value(plan)
}

fn errors(plan: &ReleasePlan) -> Vec<String> {
    validate_plan(plan, &TestCatalog::new(), None)
        .into_iter()
        .filter(|e| e.field.starts_with("watch"))
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

#[test]
fn a_watch_reads_with_its_defaults() {
    let plan = plan_with_watch(json!({ "duration": "7d" })).unwrap();
    let watch = plan.watch.as_ref().unwrap();
    assert_eq!(watch.duration.as_secs(), 7 * 86_400);
    assert_eq!(watch.on_regression, OnRegression::Alert);
    assert!(errors(&plan).is_empty(), "{:?}", errors(&plan));
    let watched = watch.watched(plan.analysis.as_ref().unwrap());
    let names: Vec<&str> = watched.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["error-rate", "p99-latency"]);
}

#[test]
fn bad_watches_are_refused_at_parse_time() {
    for (watch, word) in [
        (json!({ "duration": "0s" }), "duration"),
        (json!({ "duration": "-1h" }), "duration"),
        (json!({ "duration": "1h", "on_regression": "page" }), "page"),
        (json!({ "duration": "1h", "extra": 1 }), "extra"),
    ] {
        let error = plan_with_watch(watch.clone()).unwrap_err().to_string();
        assert!(error.contains(word), "{watch}: {error}");
    }
}

#[test]
fn an_oversized_watch_unknown_checks_and_no_analysis_are_field_errors() {
    let long = plan_with_watch(json!({ "duration": "91d" })).unwrap();
    assert_eq!(errors(&long).len(), 1, "{:?}", errors(&long));
    assert!(errors(&long)[0].starts_with("watch.duration: must be at most 90d"));

    let unknown = plan_with_watch(json!({ "duration": "1d", "checks": ["nope", "nope"] }));
    let found = errors(&unknown.unwrap());
    assert!(found[0].contains("watch.checks[0]: no analysis check is named \"nope\""));
    assert!(found.iter().any(|e| e.contains("named twice")), "{found:?}");

    let mut bare = plan_with_watch(json!({ "duration": "1d" })).unwrap();
    bare.analysis = None;
    assert_eq!(
        errors(&bare),
        ["watch: needs an `analysis` section: the watch queries its checks' guardrails"]
    );
}

#[test]
fn a_watch_changes_the_plan_materially() {
    let plan = example();
    let watched = plan_with_watch(json!({ "duration": "1d" })).unwrap();
    assert!(watched.differs_materially(&ReleasePlan {
        schedule: watched.schedule.clone(),
        ..plan
    }));
}

fn checks() -> Vec<AnalysisCheck> {
    example().analysis.unwrap().checks
}

#[test]
fn a_breach_counts_only_in_a_row_and_then_regresses() {
    let checks = checks();
    let watched: Vec<&AnalysisCheck> = checks.iter().collect();
    let healthy = [Reading::Value(0.01), Reading::Value(0.1)];
    let breached = [Reading::Value(0.05), Reading::Value(0.1)];
    let (decision, progress) = judge(&watched, &WatchProgress::default(), &breached);
    assert_eq!(decision, WatchDecision::Hold(String::new()));
    assert_eq!(progress.breaches["error-rate"], 1);
    // A healthy look in between starts the count over.
    let (_, progress) = judge(&watched, &progress, &healthy);
    assert_eq!(progress.breaches["error-rate"], 0);
    let (_, progress) = judge(&watched, &progress, &breached);
    let (decision, progress) = judge(&watched, &progress, &breached);
    let WatchDecision::Regression(reason) = decision else {
        panic!("{decision:?}");
    };
    assert!(
        reason.contains("error-rate: 0.05 is above its max 0.02"),
        "{reason}"
    );
    assert_eq!(progress.regressions, 1);
    assert_eq!(progress.looks, 4);
    // A breach that goes on is reported once…
    let (decision, progress) = judge(&watched, &progress, &breached);
    assert!(matches!(decision, WatchDecision::Hold(_)));
    assert_eq!(progress.breaches["error-rate"], 3);
    // …and again only after a look within bounds ended it.
    let (_, progress) = judge(&watched, &progress, &healthy);
    let (_, progress) = judge(&watched, &progress, &breached);
    let (decision, progress) = judge(&watched, &progress, &breached);
    assert!(matches!(decision, WatchDecision::Regression(_)));
    assert_eq!(progress.regressions, 2);
}

#[test]
fn errors_and_missing_data_hold_and_never_regress() {
    let checks = checks();
    let watched: Vec<&AnalysisCheck> = checks.iter().collect();
    let mut progress = WatchProgress::default();
    for _ in 0..10 {
        let readings = [Reading::Error("refused".to_owned()), Reading::NoData];
        let (decision, next) = judge(&watched, &progress, &readings);
        assert_eq!(
            decision,
            WatchDecision::Hold(
                "error-rate: query failed: refused; p99-latency: no data".to_owned()
            )
        );
        progress = next;
    }
    assert_eq!(progress.regressions, 0);
}

#[test]
fn a_min_bound_is_judged_too() {
    let mut check = checks().remove(1);
    check.max = None;
    check.min = Some(0.5);
    check.consecutive_breaches = 1;
    let (decision, _) = judge(&[&check], &WatchProgress::default(), &[Reading::Value(0.2)]);
    assert_eq!(
        decision,
        WatchDecision::Regression(
            "p99-latency: 0.2 is below its min 0.5 (1 looks in a row)".to_owned()
        )
    );
}

proptest! {
    /// Values within every bound never regress, however many looks.
    #[test]
    fn values_within_bounds_never_regress(values in proptest::collection::vec(0.0f64..0.02, 1..40)) {
        let checks = checks();
        let watched: Vec<&AnalysisCheck> = checks.iter().collect();
        let mut progress = WatchProgress::default();
        for value in values {
            let (decision, next) = judge(&watched, &progress, &[Reading::Value(value), Reading::Value(value)]);
            prop_assert!(matches!(decision, WatchDecision::Hold(_)));
            progress = next;
        }
        prop_assert_eq!(progress.regressions, 0);
    }
}
