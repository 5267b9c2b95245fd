//! Stages from the timeline, checks aggregated per stage, issues and their actions.

use rollgate_core::analysis::{CheckVerdict, Verdict};
use serde_json::json;

use crate::reports::build::build;
use crate::reports::model::{CheckOutcome, IssueKind, KpiReport, Report, StageEnd};
use crate::reports::stages::walk;
use crate::reports::testing::{Check, analysis, at, event, pass, release, steps};

fn no_kpis() -> KpiReport {
    KpiReport {
        prometheus_url: None,
        measured: false,
        note: None,
        results: Vec::new(),
    }
}

fn breach(treatment: f64, in_row: u32) -> Check {
    Check {
        name: "error-rate",
        treatment: Some(treatment),
        control: Some(0.01),
        verdict: CheckVerdict::Breach,
        breaches_in_row: in_row,
    }
}

fn no_data(name: &'static str, verdict: CheckVerdict) -> Check {
    Check {
        name,
        treatment: None,
        control: None,
        verdict,
        breaches_in_row: 0,
    }
}

/// Alpha and beta pass, general 10 % breaches twice and the controller rolls back.
fn rolled_back_by_the_controller() -> Report {
    let timeline = vec![
        event(
            "started",
            0,
            "alice",
            json!({ "stage": 0, "percent": 100, "from": "approved", "to": "running" }),
        ),
        analysis(
            5,
            0,
            vec![
                pass("error-rate", 0.01, 0.011),
                pass("p99-latency", 0.2, 0.21),
            ],
            Verdict::Hold,
        ),
        analysis(
            10,
            0,
            vec![
                pass("error-rate", 0.012, 0.01),
                pass("p99-latency", 0.22, 0.2),
            ],
            Verdict::Advance,
        ),
        event(
            "stage_advanced",
            10,
            "system:controller",
            json!({ "stage": 1, "percent": 100 }),
        ),
        event(
            "stage_advanced",
            20,
            "bob",
            json!({ "stage": 2, "percent": 10 }),
        ),
        analysis(
            21,
            2,
            vec![
                pass("error-rate", 0.01, 0.01),
                pass("p99-latency", 0.2, 0.2),
            ],
            Verdict::Hold,
        ),
        analysis(
            22,
            2,
            vec![breach(0.03, 1), pass("p99-latency", 0.25, 0.2)],
            Verdict::Hold,
        ),
        analysis(
            23,
            2,
            vec![breach(0.05, 2), pass("p99-latency", 0.26, 0.2)],
            Verdict::Rollback,
        ),
        event(
            "rolled_back",
            23,
            "system:controller",
            json!({ "stage": 2, "percent": 10,
            "from": "running", "to": "rolled_back", "comment": "error-rate breached twice" }),
        ),
        event(
            "incident",
            30,
            "carol",
            json!({ "details": { "what": "Checkout errors at 5 %", "action": "Rolled back; payment team paged" } }),
        ),
    ];
    build(&release("rolled_back", timeline), at(40), no_kpis())
}

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
fn a_breach_run_is_one_issue_with_what_the_controller_did() {
    let report = rolled_back_by_the_controller();
    let kinds: Vec<IssueKind> = report.issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        vec![
            IssueKind::FailedCheck,
            IssueKind::RolledBack,
            IssueKind::Incident
        ]
    );
    let failed = &report.issues[0];
    assert_eq!(
        (failed.at, failed.until, failed.stage),
        (at(22), Some(at(23)), Some(2))
    );
    assert!(
        failed.summary.contains("error-rate") && failed.summary.contains("2 interval(s)"),
        "{}",
        failed.summary
    );
    assert!(
        failed.summary.contains("0.05"),
        "the worst value: {}",
        failed.summary
    );
    let actions: Vec<&str> = failed.actions.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(actions[0].starts_with("decided to hold"), "{actions:?}");
    assert!(
        actions[1].starts_with("rolled the release back: error-rate breached twice"),
        "the rollback event, once: {actions:?}"
    );
    let rollback = &report.issues[1];
    assert!(
        rollback.summary.contains("stage 3 (general 10 %)"),
        "{}",
        rollback.summary
    );
    assert!(
        rollback.actions[0]
            .action
            .contains("back to its control variant")
    );
    assert!(
        rollback.actions[1]
            .action
            .contains("Checkout errors at 5 %"),
        "the incident that followed"
    );
    let incident = &report.issues[2];
    assert_eq!(incident.summary, "Checkout errors at 5 %");
    assert_eq!(
        incident.actions[0].action,
        "Rolled back; payment team paged"
    );
    assert_eq!(incident.actions[0].by, "carol");
}

#[test]
fn a_check_that_passes_again_closes_its_issue() {
    let timeline = vec![
        event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
        analysis(1, 0, vec![breach(0.03, 1)], Verdict::Hold),
        analysis(2, 0, vec![pass("error-rate", 0.01, 0.01)], Verdict::Hold),
    ];
    let report = build(&release("running", timeline), at(3), no_kpis());
    assert!(!report.is_final);
    assert_eq!(report.dates.ended_at, None);
    assert_eq!(
        report.dates.duration_seconds,
        Some(180),
        "to the report's time"
    );
    assert_eq!(report.stages[0].end, StageEnd::Open);
    assert_eq!(report.issues.len(), 1);
    let last = report.issues[0].actions.last().unwrap();
    assert_eq!(
        (last.at, last.action.as_str()),
        (at(2), "the check passed again")
    );
}

#[test]
fn holds_without_data_are_one_issue_per_run_and_errors_say_so() {
    let timeline = vec![
        event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
        analysis(
            1,
            0,
            vec![no_data("error-rate", CheckVerdict::NoData)],
            Verdict::Hold,
        ),
        analysis(
            2,
            0,
            vec![no_data("error-rate", CheckVerdict::NoData)],
            Verdict::Hold,
        ),
        analysis(3, 0, vec![pass("error-rate", 0.01, 0.01)], Verdict::Hold),
        analysis(
            4,
            0,
            vec![no_data("error-rate", CheckVerdict::Error)],
            Verdict::Hold,
        ),
        analysis(
            5,
            0,
            vec![no_data("error-rate", CheckVerdict::Error)],
            Verdict::Pause,
        ),
        event(
            "paused",
            5,
            "system:controller",
            json!({ "stage": 0, "percent": 100, "comment": "4 query errors in a row" }),
        ),
        event("resumed", 9, "bob", json!({ "stage": 0, "percent": 100 })),
    ];
    let report = build(&release("running", timeline), at(10), no_kpis());
    let kinds: Vec<IssueKind> = report.issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        vec![IssueKind::NoData, IssueKind::QueryErrors, IssueKind::Paused]
    );
    assert_eq!(report.issues[0].until, Some(at(2)));
    assert!(
        report.issues[1]
            .actions
            .iter()
            .any(|a| a.action.starts_with("paused the release"))
    );
    let pause = &report.issues[2];
    assert_eq!(pause.actions.len(), 1);
    assert_eq!(
        (pause.actions[0].by.as_str(), pause.actions[0].at),
        ("bob", at(9))
    );
    assert_eq!(pause.until, Some(at(9)));
    assert_eq!(report.stages[0].paused_seconds, 240);
    assert_eq!(report.stages[0].checks[0].outcome, CheckOutcome::Passed);
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
fn a_record_riding_on_the_rollback_event_counts_once() {
    let mut rollback = analysis(3, 0, vec![breach(0.05, 2)], Verdict::Rollback);
    rollback["event"] = json!("rolled_back");
    rollback["stage"] = json!(0);
    rollback["percent"] = json!(100);
    rollback["comment"] = json!("error-rate breached twice");
    let timeline = vec![
        event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
        analysis(2, 0, vec![breach(0.03, 1)], Verdict::Hold),
        rollback,
    ];
    let report = build(&release("rolled_back", timeline), at(5), no_kpis());
    assert_eq!(report.analysis_records, 2);
    assert_eq!(report.stages[0].end, StageEnd::RolledBack);
    let failed = &report.issues[0];
    assert_eq!(failed.kind, IssueKind::FailedCheck);
    let actions: Vec<&str> = failed.actions.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(
        actions[1].starts_with("rolled the release back"),
        "{actions:?}"
    );
    assert_eq!(report.issues[1].kind, IssueKind::RolledBack);
}

#[test]
fn a_broken_split_is_an_issue_and_the_stage_says_how_often() {
    let mut records: Vec<_> = (1..=3)
        .map(|minute| {
            let mut record = analysis(
                minute,
                0,
                vec![pass("error-rate", 0.01, 0.01)],
                Verdict::Hold,
            );
            record["analysis"]["exposures"] = json!({
                "treatment": 300.0, "control": 700.0, "expected_share": 0.5,
                "observed_share": 0.3, "statistic": 120.0, "mismatch": minute > 1
            });
            record
        })
        .collect();
    records[2]["analysis"]["verdict"] = json!("pause");
    let mut timeline = vec![event(
        "started",
        0,
        "alice",
        json!({ "stage": 0, "percent": 100 }),
    )];
    timeline.extend(records);
    let report = build(&release("running", timeline), at(4), no_kpis());
    let ratio = report.stages[0].sample_ratio.as_ref().unwrap();
    assert_eq!((ratio.intervals, ratio.mismatches), (3, 2));
    assert_eq!(ratio.observed_share, Some(0.3));
    let issue = &report.issues[0];
    assert_eq!(issue.kind, IssueKind::SampleRatioMismatch);
    assert_eq!((issue.at, issue.until), (at(2), Some(at(3))));
    assert!(
        issue
            .actions
            .iter()
            .any(|a| a.action.starts_with("decided to pause")),
        "{:?}",
        issue.actions
    );
}

#[test]
fn a_blocked_start_is_an_issue_resolved_by_the_start() {
    let timeline = vec![
        event(
            "start_blocked",
            0,
            "system:scheduler",
            json!({ "comment": "the checklist is not done" }),
        ),
        event(
            "started",
            30,
            "alice",
            json!({ "stage": 0, "percent": 100 }),
        ),
    ];
    let report = build(&release("running", timeline), at(31), no_kpis());
    let issue = &report.issues[0];
    assert_eq!(issue.kind, IssueKind::StartBlocked);
    assert!(issue.summary.contains("the checklist is not done"));
    assert_eq!(issue.actions[0].at, at(30));
    assert_eq!(issue.actions[0].action, "started the release");
}
