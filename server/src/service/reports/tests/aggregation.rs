//! Stages from the timeline and checks aggregated per stage.

use rollgate_core::analysis::{CheckVerdict, Verdict};
use serde_json::json;

use crate::service::reports::build::build;
use crate::service::reports::model::{CheckOutcome, StageEnd};
use crate::service::reports::stages::walk;
use crate::service::reports::testing::{
    Check, analysis, at, breach, event, no_data, no_kpis, pass, release,
    rolled_back_by_the_controller, steps,
};

#[test]
fn stages_open_and_close_where_the_timeline_says() {
    let mut timeline = steps(&[0, 10, 20]);
    timeline.extend([
        event(
            "percent_set",
            25,
            "alice",
            json!({ "stage": 2, "percent": 20 }),
        ),
        event("paused", 27, "alice", json!({ "stage": 2, "percent": 20 })),
        event("resumed", 29, "alice", json!({ "stage": 2, "percent": 20 })),
        event(
            "rolled_back",
            30,
            "alice",
            json!({ "stage": 2, "percent": 20, "comment": "why" }),
        ),
    ]);
    let walked = walk(&release("rolled_back", timeline));
    assert_eq!(walked.spans[0].opened_at, Some(at(0)));
    assert_eq!(walked.spans[0].closed_at, Some(at(10)));
    assert_eq!(walked.spans[0].end, StageEnd::Advanced);
    assert_eq!(walked.spans[2].percentages, vec![10.0, 20.0]);
    assert_eq!(walked.spans[2].paused_seconds, 120);
    assert_eq!(walked.spans[2].end, StageEnd::RolledBack);
    assert_eq!(walked.spans[3].end, StageEnd::NotReached);
    assert_eq!(walked.reached, Some(2));
    assert_eq!(walked.ended_at, Some(at(30)));
    let percents: Vec<f64> = walked.rollout.iter().map(|p| p.percent).collect();
    assert_eq!(
        percents,
        vec![100.0, 100.0, 10.0, 20.0, 0.0],
        "rollback ends at 0 %"
    );
}

#[test]
fn a_report_says_outcome_dates_duration_stage_reached_and_approvers() {
    let report = rolled_back_by_the_controller();
    assert!(report.is_final);
    assert_eq!(report.outcome.as_str(), "rolled_back");
    assert_eq!(report.dates.started_at, Some(at(0)));
    assert_eq!(report.dates.ended_at, Some(at(23)));
    assert_eq!(report.dates.duration_seconds, Some(23 * 60));
    let reached = report.stage_reached.as_ref().unwrap();
    assert_eq!(
        (
            reached.index,
            reached.audience.as_str(),
            reached.percent,
            reached.of
        ),
        (2, "general", 10.0, 4)
    );
    assert_eq!(report.approvals.len(), 1);
    assert_eq!(report.approvals[0].by, "bob");
    assert_eq!(report.analysis_records, 5);
}

#[test]
fn checks_are_aggregated_per_stage_with_min_max_last_and_breaches() {
    let report = rolled_back_by_the_controller();
    let general = &report.stages[2];
    assert_eq!(general.analyses, 3);
    assert_eq!((general.verdicts.hold, general.verdicts.rollback), (2, 1));
    let errors = &general.checks[0];
    assert_eq!(errors.name, "error-rate");
    let treatment = errors.treatment.unwrap();
    assert_eq!(
        (treatment.min, treatment.max, treatment.last),
        (0.01, 0.05, 0.05)
    );
    assert_eq!(errors.verdicts.breach, 2);
    assert_eq!(errors.verdicts.pass, 1);
    assert_eq!(errors.longest_breach_run, 2);
    assert_eq!(errors.outcome, CheckOutcome::Breached);
    assert_eq!(errors.last_verdict, Some(CheckVerdict::Breach));
    assert_eq!(errors.statistic, Some(1.5));
    assert_eq!(errors.max, Some(0.02));
    assert_eq!(general.checks[1].outcome, CheckOutcome::Passed);
    assert_eq!(report.stages[0].checks[0].outcome, CheckOutcome::Passed);
    assert_eq!(
        report.stages[1].checks[0].outcome,
        CheckOutcome::NotAnalysed,
        "beta was promoted by hand: no record"
    );
    assert_eq!(report.stages[3].end, StageEnd::NotReached);
    let series = &report.health[0];
    assert_eq!(series.check, "error-rate");
    assert_eq!(series.points.len(), 5);
    assert_eq!(series.points[4].treatment, Some(0.05));
}

#[test]
fn a_release_driven_by_hand_still_has_a_complete_report() {
    let mut timeline = steps(&[0, 5, 6, 8]);
    timeline.push(event(
        "completed",
        9,
        "alice",
        json!({ "stage": 3, "percent": 100, "from": "running", "to": "completed" }),
    ));
    let report = build(&release("completed", timeline), at(60), no_kpis());
    assert_eq!(report.dates.ended_at, Some(at(9)));
    assert!(
        report
            .stages
            .iter()
            .all(|s| s.opened_at.is_some() && s.closed_at.is_some())
    );
    assert_eq!(report.stages[3].end, StageEnd::Completed);
    assert!(report.stages.iter().all(|s| s.analyses == 0));
    assert!(report.issues.is_empty());
    assert_eq!(report.rollout.last().map(|p| p.percent), Some(100.0));
    let audiences: Vec<&str> = report
        .changelog
        .deliveries
        .iter()
        .map(|d| d.audience.as_str())
        .collect();
    assert_eq!(audiences, vec!["alpha", "beta", "general"]);
}

#[test]
fn a_record_that_does_not_parse_is_left_out() {
    let mut timeline = vec![event(
        "started",
        0,
        "alice",
        json!({ "stage": 0, "percent": 100 }),
    )];
    timeline.push(event(
        "announced",
        1,
        "system:controller",
        json!({ "analysis": { "at": "not a time" } }),
    ));
    timeline.push(analysis(
        2,
        0,
        vec![pass("error-rate", 0.01, 0.01)],
        Verdict::Hold,
    ));
    let report = build(&release("running", timeline), at(3), no_kpis());
    assert_eq!(report.analysis_records, 1);
}

#[test]
fn a_regression_outside_the_bound_counts_as_outside_it_and_no_data_does_not() {
    let regressed_outside = Check {
        verdict: CheckVerdict::Regression,
        ..breach(0.05, 2)
    };
    let regressed_inside = Check {
        verdict: CheckVerdict::Regression,
        ..breach(0.015, 0)
    };
    let mut timeline = vec![event(
        "started",
        0,
        "alice",
        json!({ "stage": 0, "percent": 100 }),
    )];
    let checks = [
        breach(0.05, 1),
        // No values: the run of breaches carries over, the bound was not exceeded now.
        Check {
            breaches_in_row: 1,
            ..no_data("error-rate", CheckVerdict::NoData)
        },
        regressed_outside,
        pass("error-rate", 0.01, 0.01),
        regressed_inside,
    ];
    for (minute, check) in (1..).zip(checks) {
        timeline.push(analysis(minute, 0, vec![check], Verdict::Hold));
    }
    let report = build(&release("running", timeline), at(9), no_kpis());
    let errors = &report.stages[0].checks[0];
    assert_eq!(errors.intervals, 5);
    assert_eq!(errors.outside_bound, 2);
    assert_eq!(errors.longest_breach_run, 2);
    assert_eq!((errors.verdicts.breach, errors.verdicts.regression), (1, 2));
    assert_eq!(errors.outcome, CheckOutcome::Regressed);
    let text = crate::service::reports::markdown::render(&report);
    assert!(text.contains("| 5 | 2 (2) / 2 |"), "{text}");
}
