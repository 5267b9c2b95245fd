//! A stored release as the dashboard's pages show it: the words of its position and of
//! the controller's last verdict, its stages with the current one marked, and which
//! actions its state and the signed-in person's role offer.

use rollgate_core::release::ReleaseState;
use rollgate_dashboard::releases::{
    Actions, ApprovalRow, CheckItem, EventRow, IncidentRow, ReleaseRow, ReleaseView, RiskRow,
    StageRow,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::infra::auth::Role;
use crate::service::releases::{Release, TimelineEvent};
use crate::service::{Principal, WithVersion};

/// A time as the pages print it: RFC 3339 to the second (what a `<time>` element
/// holds, and what a person reads).
pub(super) fn when(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Where the rollout stands, in words, and the share of the current stage's audience
/// exposed.
fn position(release: &Release) -> (String, f64) {
    let stages = &release.plan.stages;
    match release
        .current_stage
        .and_then(|i| stages.get(i).map(|s| (i, s)))
    {
        Some((index, stage)) => {
            let percent = release.current_percent.as_f64();
            (
                format!(
                    "stage {} of {}: {} at {percent} %",
                    index + 1,
                    stages.len(),
                    stage.audience
                ),
                percent,
            )
        }
        None if release.state == ReleaseState::Completed => {
            ("completed: everyone has it".to_owned(), 100.0)
        }
        None => ("not started".to_owned(), 0.0),
    }
}

/// The canary controller's last verdict, in words ("hold: 15 s of 20 s baked with
/// data").
fn verdict(release: &Release) -> String {
    release
        .timeline
        .iter()
        .rev()
        .find_map(|event| event.analysis.as_ref())
        .map(|analysis| {
            let verdict = analysis["verdict"].as_str().unwrap_or("analysed");
            match analysis["reason"].as_str() {
                Some(reason) => format!("{verdict}: {reason}"),
                None => verdict.to_owned(),
            }
        })
        .unwrap_or_default()
}

/// A release in a list.
pub(super) fn row(release: &Release) -> ReleaseRow {
    let (position, exposure) = position(release);
    ReleaseRow {
        id: release.id.clone(),
        name: release.plan.name.clone(),
        environment: release.plan.environment.clone(),
        state: release.state.as_str().to_owned(),
        position,
        exposure,
        verdict: verdict(release),
        starts_at: release.plan.schedule.start_at.map(when).unwrap_or_default(),
        approvals: format!(
            "{} of {}",
            release.approval_count(),
            release.plan.approvals_required
        ),
    }
}

/// What `viewer` may do to `release` now.
fn actions(release: &Release, viewer: &Principal) -> Actions {
    let runs = viewer.role().is_some_and(|r| r >= Role::ReleaseManager)
        && viewer
            .scope()
            .is_none_or(|s| s.contains(&release.plan.environment));
    if !runs {
        return Actions::default();
    }
    let author = release.author.id == viewer.id();
    let approved_by_viewer = release.approvals.iter().any(|a| a.by.id == viewer.id());
    let state = release.state;
    let before_start = matches!(
        state,
        ReleaseState::Draft | ReleaseState::PendingApproval | ReleaseState::Approved
    );
    let live = matches!(state, ReleaseState::Running | ReleaseState::Paused);
    Actions {
        submit: state == ReleaseState::Draft,
        approve: state == ReleaseState::PendingApproval && !author && !approved_by_viewer,
        start: state == ReleaseState::Approved,
        pause: state == ReleaseState::Running,
        resume: state == ReleaseState::Paused,
        promote: state == ReleaseState::Running,
        percent: state == ReleaseState::Running,
        rollback: live,
        cancel: before_start,
        incident: live,
        checklist: before_start,
        edit: before_start,
    }
}

/// One event of the timeline in words.
fn event(event: &TimelineEvent) -> EventRow {
    let mut text = Vec::new();
    if let (Some(from), Some(to)) = (event.from, event.to) {
        text.push(format!("{} → {}", from.as_str(), to.as_str()));
    }
    if let Some(percent) = event.percent {
        text.push(format!("{} %", percent.as_f64()));
    }
    if let Some(comment) = &event.comment {
        text.push(comment.clone());
    }
    if let Some(details) = &event.details
        && let Some(what) = details["what"].as_str()
    {
        text.push(format!(
            "{what} (done: {})",
            details["action"].as_str().unwrap_or("")
        ));
    }
    if let Some(analysis) = &event.analysis
        && let Some(reason) = analysis["reason"].as_str()
    {
        text.push(reason.to_owned());
    }
    EventRow {
        at: when(event.at),
        event: event.event.as_str().to_owned(),
        by: event.by.name.clone(),
        text: text.join(" · "),
    }
}

/// A release as its page shows it to `viewer` at `now`.
pub(super) fn view(
    stored: &WithVersion<Release>,
    viewer: &Principal,
    now: OffsetDateTime,
) -> ReleaseView {
    let release = &stored.doc;
    let plan = &release.plan;
    let (position, exposure) = position(release);
    let stages = plan
        .stages
        .iter()
        .enumerate()
        .map(|(index, stage)| StageRow {
            number: index + 1,
            audience: stage.audience.clone(),
            percent: format!("{} %", stage.percent.as_f64()),
            bake: stage.bake.map(|b| b.to_string()).unwrap_or_default(),
            current: release.current_stage == Some(index),
            done: release.current_stage.is_some_and(|c| index < c)
                || release.state == ReleaseState::Completed,
        })
        .collect();
    ReleaseView {
        id: release.id.clone(),
        version: stored.version,
        name: plan.name.clone(),
        release_version: plan.release_version.clone(),
        environment: plan.environment.clone(),
        state: release.state.as_str().to_owned(),
        author: release.author.name.clone(),
        flags: plan
            .flags
            .iter()
            .map(|f| format!("{} → {}", f.key, f.variant))
            .collect(),
        position,
        exposure,
        percent: release.current_percent.as_f64(),
        verdict: verdict(release),
        stages,
        checklist: plan
            .checklist
            .iter()
            .enumerate()
            .map(|(index, c)| CheckItem {
                index,
                item: c.item.clone(),
                owner: c.owner.clone(),
                done: c.done,
            })
            .collect(),
        approvals: release
            .approvals
            .iter()
            .map(|a| ApprovalRow {
                by: a.by.name.clone(),
                at: when(a.at),
                comment: a.comment.clone().unwrap_or_default(),
            })
            .collect(),
        approvals_required: plan.approvals_required,
        risks: release
            .risk_log_now()
            .into_iter()
            .map(|r| RiskRow {
                rating: format!(
                    "likelihood {}, impact {}",
                    r.likelihood.as_str(),
                    r.impact.as_str()
                ),
                id: r.id,
                description: r.description,
                mitigation: r.mitigation,
                owner: r.owner,
                status: r.status.as_str().to_owned(),
                incident: r.incident.unwrap_or_default(),
            })
            .collect(),
        incidents: release
            .incidents
            .iter()
            .map(|i| incident_row(release, i))
            .collect(),
        kpis: plan
            .kpis
            .iter()
            .map(|k| format!("{}: {}", k.name, k.query))
            .collect(),
        notes: plan.notes.clone(),
        timeline: release.timeline.iter().rev().map(event).collect(),
        actions: actions(release, viewer),
        charts: super::release_charts::of(release, now),
    }
}

/// An incident as the release page lists it.
fn incident_row(
    release: &Release,
    incident: &crate::service::releases::incidents::Incident,
) -> IncidentRow {
    IncidentRow {
        release_id: release.id.clone(),
        release_name: release.plan.name.clone(),
        at: when(incident.opened_at),
        what: incident.what.clone(),
        id: incident.id.clone(),
        severity: incident.severity.as_str().to_owned(),
        status: match incident.seconds_to_resolve() {
            Some(seconds) => format!(
                "resolved in {}",
                crate::service::reports::text::duration(seconds)
            ),
            None => incident.status.as_str().to_owned(),
        },
        owner: incident.owner.clone(),
        actions: incident
            .actions
            .iter()
            .map(|a| format!("{} {}: {}", when(a.at), a.by.name, a.action))
            .collect(),
    }
}
