//! Issues found in the timeline and the records, and the actions taken for each.

use rollgate_core::analysis::{CheckVerdict, Verdict};
use serde_json::json;

use crate::service::reports::build::build;
use crate::service::reports::model::{CheckOutcome, IssueKind, StageEnd};
use crate::service::reports::testing::{
    analysis, at, breach, event, no_data, no_kpis, pass, release, rolled_back_by_the_controller,
};

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
