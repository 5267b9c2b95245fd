//! The issues a release met and what was done about each, from its timeline and its
//! analysis records:
//! - **failed checks**: a run of consecutive intervals in one stage where a check
//!   breached its bound or regressed against control;
//! - **holds without data** (no data, or query errors): a run of intervals where some
//!   check had nothing to judge;
//! - **sample-ratio mismatches**: a run of intervals that found the split broken;
//! - **pauses**, **rollbacks**, **incidents**, **blocked starts** and **kill switches**
//!   (a flag of the release disabled, which paused it): one per event.
//!
//! Actions of a run: the controller's verdicts as they changed during it, then every
//! action on the timeline from its first interval until the next interval after it
//! (pause, resume, rollback, promotion, percentage, completion), and whether the check
//! passed again. Actions of a pause: what happened until it ended (resumed, rolled
//! back, completed). Of a rollback: the flags' return to control, its propagation
//! record (the `rollback_propagated` event: which write, when it was served, how many
//! connected SDK streams had it) and the incidents logged after it. Of an incident: the
//! action its author wrote.
//!
//! A decision the controller applied is shown once, as the timeline's action: the event
//! that carries the interval's record (its write comes a few milliseconds after the
//! record's evaluation time), or an event of that kind at the record's very time. Parts of the server acting on their own are named by
//! their id (`system:controller`), people by their token's name.

mod kill_switch;

use super::checks::{self, CheckInfo};
use super::model::RollbackRecord;
use super::model::{ActionTaken, Issue, IssueKind};
use super::text;
use crate::service::changelog::detail;
use crate::service::releases::{Actor, EventKind, Release, TimelineEvent};
use rollgate_core::analysis::{AnalysisRecord, CheckVerdict, Verdict};

/// Every issue of `release`, oldest first.
pub(crate) fn issues(
    release: &Release,
    records: &[AnalysisRecord],
    infos: &[CheckInfo],
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let stages = release.plan.stages.len();
    for stage in 0..stages.max(records.iter().map(|r| r.stage + 1).max().unwrap_or(0)) {
        let in_stage: Vec<&AnalysisRecord> = records.iter().filter(|r| r.stage == stage).collect();
        for info in infos {
            runs(&in_stage, |r| {
                checks::find(r, &info.name).is_some_and(|c| checks::failed(c.verdict))
            })
            .into_iter()
            .for_each(|run| issues.push(failed_check(release, &in_stage, run, info)));
        }
        for run in runs(&in_stage, |r| {
            r.checks
                .iter()
                .any(|c| matches!(c.verdict, CheckVerdict::NoData | CheckVerdict::Error))
        }) {
            issues.push(data_issue(release, &in_stage, run));
        }
        for run in runs(&in_stage, |r| {
            r.exposures.as_ref().is_some_and(|e| e.mismatch)
        }) {
            issues.push(record_issue(
                release,
                &in_stage,
                run,
                IssueKind::SampleRatioMismatch,
                format!(
                    "The traffic split did not match the stage's percentage in {} interval(s): {}",
                    run.1 - run.0 + 1,
                    in_stage[run.1].reason
                ),
            ));
        }
    }
    for (index, event) in release.timeline.iter().enumerate() {
        let later = &release.timeline[index + 1..];
        if kill_switch::is_kill_switch_pause(event, &release.timeline[..index]) {
            continue;
        }
        let issue = match event.event {
            EventKind::FlagDisabled => Some(kill_switch::flag_disabled(event, later)),
            EventKind::Paused => Some(paused(event, later)),
            EventKind::RolledBack => Some(rolled_back(release, event, later)),
            EventKind::Incident => Some(incident(event)),
            EventKind::StartBlocked => Some(start_blocked(event, later)),
            _ => None,
        };
        issues.extend(issue);
    }
    issues.sort_by_key(|issue| issue.at);
    issues
}

/// Runs of consecutive records (first index, last index) matching `matches`.
fn runs(
    records: &[&AnalysisRecord],
    matches: impl Fn(&AnalysisRecord) -> bool,
) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (index, record) in records.iter().enumerate() {
        match (matches(record), start) {
            (true, None) => start = Some(index),
            (false, Some(first)) => {
                runs.push((first, index - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(first) = start {
        runs.push((first, records.len() - 1));
    }
    runs
}

fn failed_check(
    release: &Release,
    records: &[&AnalysisRecord],
    run: (usize, usize),
    info: &CheckInfo,
) -> Issue {
    let values: Vec<_> = records[run.0..=run.1]
        .iter()
        .filter_map(|r| checks::find(r, &info.name))
        .collect();
    let regressed = values.iter().any(|c| c.verdict == CheckVerdict::Regression);
    let worst = values
        .iter()
        .filter_map(|c| c.treatment)
        .filter(|v| v.is_finite())
        .fold(None, |worst: Option<f64>, v| {
            Some(match (worst, info.max.is_some()) {
                (None, _) => v,
                (Some(w), true) => w.max(v),
                (Some(w), false) => w.min(v),
            })
        });
    let control = values.last().and_then(|c| c.control);
    let bound = match (info.min, info.max) {
        (Some(min), Some(max)) => format!(
            " (bounds {} to {})",
            text::number(Some(min)),
            text::number(Some(max))
        ),
        (None, Some(max)) => format!(" (max {})", text::number(Some(max))),
        (Some(min), None) => format!(" (min {})", text::number(Some(min))),
        (None, None) => String::new(),
    };
    let what = if regressed {
        "was worse than control".to_owned()
    } else {
        format!("breached its bound{bound}")
    };
    let statistic = values
        .iter()
        .rev()
        .find_map(|c| Some((c.statistic?, c.threshold?)))
        .filter(|_| regressed)
        .map(|(s, t)| {
            format!(
                "; statistic {} against threshold {}",
                text::number(Some(s)),
                text::number(Some(t))
            )
        })
        .unwrap_or_default();
    let summary = format!(
        "Check {} {what} in {} interval(s) in a row: treatment {} at worst, control {}{statistic}",
        info.name,
        run.1 - run.0 + 1,
        text::number(worst),
        text::number(control),
    );
    let mut issue = record_issue(release, records, run, IssueKind::FailedCheck, summary);
    if let Some(next) = records.get(run.1 + 1)
        && checks::find(next, &info.name).is_some_and(|c| c.verdict == CheckVerdict::Pass)
    {
        issue.actions.push(ActionTaken {
            at: next.at,
            by: "system:controller".to_owned(),
            action: "the check passed again".to_owned(),
        });
    }
    issue
}

fn data_issue(release: &Release, records: &[&AnalysisRecord], run: (usize, usize)) -> Issue {
    let mut names: Vec<&str> = Vec::new();
    let mut errors = false;
    for record in &records[run.0..=run.1] {
        for check in &record.checks {
            if matches!(check.verdict, CheckVerdict::NoData | CheckVerdict::Error) {
                errors |= check.verdict == CheckVerdict::Error;
                if !names.contains(&check.name.as_str()) {
                    names.push(&check.name);
                }
            }
        }
    }
    let (kind, what) = if errors {
        (IssueKind::QueryErrors, "queries to Prometheus failed")
    } else {
        (IssueKind::NoData, "there was no data to judge")
    };
    // The reason of the last interval of the run's kind: a run of errors may end with
    // intervals that merely had no data yet (after Prometheus came back).
    let last = records[run.0..=run.1]
        .iter()
        .rev()
        .find(|r| !errors || r.checks.iter().any(|c| c.verdict == CheckVerdict::Error))
        .unwrap_or(&records[run.1]);
    let summary = format!(
        "For {} interval(s), {what} for {}: {}",
        run.1 - run.0 + 1,
        names.join(", "),
        last.reason
    );
    record_issue(release, records, run, kind, summary)
}

/// An issue from a run of records, with the controller's decisions during it and the
/// timeline's actions until the next interval after it.
fn record_issue(
    release: &Release,
    records: &[&AnalysisRecord],
    run: (usize, usize),
    kind: IssueKind,
    summary: String,
) -> Issue {
    let first = records[run.0].at;
    let last = records[run.1].at;
    let horizon = records.get(run.1 + 1).map(|r| r.at);
    let responses: Vec<&TimelineEvent> = release
        .timeline
        .iter()
        .filter(|e| is_action(e.event) && e.at >= first && horizon.is_none_or(|h| e.at < h))
        .collect();
    let mut actions = Vec::new();
    let mut previous: Option<Verdict> = None;
    for record in &records[run.0..=run.1] {
        if previous == Some(record.verdict) {
            continue;
        }
        previous = Some(record.verdict);
        let shown_on_timeline = responses.iter().any(|e| {
            kind_of(record.verdict) == Some(e.event) && (e.at == record.at || carries(e, record))
        });
        if !shown_on_timeline {
            actions.push(ActionTaken {
                at: record.at,
                by: "system:controller".to_owned(),
                action: format!("decided to {}: {}", record.verdict.as_str(), record.reason),
            });
        }
    }
    actions.extend(responses.into_iter().map(action));
    actions.sort_by_key(|a| a.at);
    Issue {
        kind,
        at: first,
        until: Some(last),
        stage: Some(records[run.0].stage),
        summary,
        actions,
    }
}

fn paused(event: &TimelineEvent, later: &[TimelineEvent]) -> Issue {
    let mut actions = Vec::new();
    for next in later {
        if is_action(next.event) || next.event == EventKind::Incident {
            actions.push(action(next));
        }
        if matches!(
            next.event,
            EventKind::Resumed
                | EventKind::RolledBack
                | EventKind::Completed
                | EventKind::Cancelled
        ) {
            break;
        }
    }
    Issue {
        kind: IssueKind::Paused,
        at: event.at,
        until: actions.last().map(|a| a.at),
        stage: event.stage,
        summary: format!("Paused by {}{}", who(&event.by), because(event)),
        actions,
    }
}

fn rolled_back(release: &Release, event: &TimelineEvent, later: &[TimelineEvent]) -> Issue {
    let mut actions = vec![ActionTaken {
        at: event.at,
        by: who(&event.by),
        action: "every released flag back to its control variant, for everyone".to_owned(),
    }];
    if let Some(record) = later
        .iter()
        .find(|e| e.event == EventKind::RollbackPropagated)
        .and_then(RollbackRecord::of)
    {
        actions.push(ActionTaken {
            at: record.served_at.unwrap_or(event.at),
            by: who(&event.by),
            action: record.summary(),
        });
    }
    actions.extend(
        later
            .iter()
            .filter(|e| e.event == EventKind::Incident)
            .map(action),
    );
    let place = event
        .stage
        .and_then(|s| release.plan.stages.get(s).map(|stage| (s, stage)))
        .map(|(index, stage)| {
            format!(
                " at stage {} ({} {})",
                index + 1,
                stage.audience,
                event.percent.map_or_else(String::new, |p| p.to_string())
            )
        })
        .unwrap_or_default();
    Issue {
        kind: IssueKind::RolledBack,
        at: event.at,
        until: None,
        stage: event.stage,
        summary: format!("Rolled back by {}{place}{}", who(&event.by), because(event)),
        actions,
    }
}

fn incident(event: &TimelineEvent) -> Issue {
    let detail = |field: &str| detail(event, field).to_owned();
    Issue {
        kind: IssueKind::Incident,
        at: event.at,
        until: None,
        stage: event.stage,
        summary: detail("what"),
        actions: vec![ActionTaken {
            at: event.at,
            by: who(&event.by),
            action: detail("action"),
        }],
    }
}

fn start_blocked(event: &TimelineEvent, later: &[TimelineEvent]) -> Issue {
    Issue {
        kind: IssueKind::StartBlocked,
        at: event.at,
        until: None,
        stage: None,
        summary: format!(
            "The scheduler could not start the release{}",
            because(event)
        ),
        actions: later
            .iter()
            .find(|e| e.event == EventKind::Started)
            .map(action)
            .into_iter()
            .collect(),
    }
}

/// Events that act on a running release.
fn is_action(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Paused
            | EventKind::Resumed
            | EventKind::RolledBack
            | EventKind::Completed
            | EventKind::StageAdvanced
            | EventKind::PercentSet
            | EventKind::Cancelled
            | EventKind::Started
    )
}

/// The timeline event a verdict leads to.
fn kind_of(verdict: Verdict) -> Option<EventKind> {
    match verdict {
        Verdict::Advance => Some(EventKind::StageAdvanced),
        Verdict::Pause => Some(EventKind::Paused),
        Verdict::Rollback => Some(EventKind::RolledBack),
        Verdict::Complete => Some(EventKind::Completed),
        Verdict::Hold => None,
    }
}

/// A timeline event as an action, in words.
fn action(event: &TimelineEvent) -> ActionTaken {
    let what = match event.event {
        EventKind::Paused => "paused the release".to_owned(),
        EventKind::Resumed => "resumed the release".to_owned(),
        EventKind::RolledBack => "rolled the release back".to_owned(),
        EventKind::Completed => "completed the release".to_owned(),
        EventKind::Cancelled => "cancelled the release".to_owned(),
        EventKind::Started => "started the release".to_owned(),
        EventKind::FlagEnabled => format!("enabled flag {} again", detail(event, "flag")),
        EventKind::StageAdvanced => {
            format!("advanced to stage {}", event.stage.map_or(0, |s| s + 1))
        }
        EventKind::PercentSet => format!(
            "set the percentage to {}",
            event.percent.map_or_else(String::new, |p| p.to_string())
        ),
        EventKind::Incident => {
            let field = |name: &str| detail(event, name);
            format!(
                "logged an incident: {} — {}",
                field("what"),
                field("action")
            )
        }
        other => other.as_str().replace('_', " "),
    };
    ActionTaken {
        at: event.at,
        by: who(&event.by),
        action: format!("{what}{}", because(event)),
    }
}

/// Who acted, in the report's words: a part of the server by its id
/// (`system:controller`), a person by their token's name.
pub(crate) fn who(actor: &Actor) -> String {
    if actor.id.starts_with("system:") {
        actor.id.clone()
    } else {
        actor.name.clone()
    }
}

/// Does `event` carry the analysis record `record` (the one evaluated at its time)?
fn carries(event: &TimelineEvent, record: &AnalysisRecord) -> bool {
    event
        .analysis
        .as_ref()
        .and_then(|a| a.get("at"))
        .and_then(|at| at.as_str())
        .and_then(|at| {
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
        })
        .is_some_and(|at| at == record.at)
}

/// `: <comment>` when the event has one, else the record's reason, else nothing.
fn because(event: &TimelineEvent) -> String {
    let reason = event.comment.clone().or_else(|| {
        event
            .analysis
            .as_ref()
            .and_then(|a| a.get("reason"))
            .and_then(|r| r.as_str())
            .map(str::to_owned)
    });
    reason
        .filter(|r| !r.is_empty())
        .map(|r| format!(": {r}"))
        .unwrap_or_default()
}
