//! Assembles a validation report from the release document and the KPI numbers — a
//! pure function, so a report can always be rebuilt from what is stored.

use time::OffsetDateTime;

use super::checks::{self, CheckInfo};
use super::issues::issues;
use rollgate_core::release::{Warning, preview};

use super::model::{
    ApprovalNote, BeforeStart, Dates, FlagBefore, KpiReport, ReleaseSummary, Report,
    RollbackRecord, ShareBefore, StageReached, StageReport,
};
use super::stages::{Walk, seconds, walk};
use crate::service::changelog::{self, View};
use crate::service::releases::{EventKind, Release};

/// The report of `release` at `now`, with KPIs already measured.
pub fn build(release: &Release, now: OffsetDateTime, kpis: KpiReport) -> Report {
    let walk = walk(release);
    let (records, _unreadable) = checks::records(release);
    let planned = release
        .plan
        .analysis
        .as_ref()
        .map(|a| a.checks.as_slice())
        .unwrap_or_default();
    let infos = checks::check_infos(planned, &records);
    let is_final = release.state.is_terminal();
    let ended_at = walk.ended_at.filter(|_| is_final);
    Report {
        release: ReleaseSummary {
            id: release.id.clone(),
            name: release.plan.name.clone(),
            release_version: release.plan.release_version.clone(),
            environment: release.plan.environment.clone(),
            strategy: release.plan.strategy,
            author: release.author.name.clone(),
            features: changelog::features(release),
        },
        is_final,
        generated_at: now,
        outcome: release.state,
        dates: Dates {
            created_at: release.created_at,
            started_at: walk.started_at,
            ended_at,
            duration_seconds: walk
                .started_at
                .map(|start| seconds(start, ended_at.unwrap_or(now))),
        },
        stage_reached: walk.reached.and_then(|index| {
            Some(StageReached {
                index,
                audience: release.plan.stages.get(index)?.audience.clone(),
                percent: walk.spans[index]
                    .percentages
                    .iter()
                    .copied()
                    .fold(0.0, f64::max),
                of: release.plan.stages.len(),
            })
        }),
        approvals: release
            .approvals
            .iter()
            .map(|a| ApprovalNote {
                by: a.by.name.clone(),
                at: a.at,
                comment: a.comment.clone(),
                function: a.function.clone(),
                principal: a.by.id.clone(),
            })
            .collect(),
        group: release.plan.group.clone(),
        tasks: release.plan.tasks.clone(),
        resources: release.plan.resources.clone(),
        commitments: release.commitments.clone(),
        risk_log: release.risk_log_now(),
        risk_history: super::log_items::risk_history(release),
        incidents: super::log_items::incident_summary(&release.incidents),
        stages: stages(release, &walk, &records, &infos, now),
        rollout: walk.rollout.clone(),
        pauses: walk.pauses.clone(),
        before_start: before_start(release),
        health: checks::health(&infos, &records),
        kpis,
        issues: issues(release, &records, &infos),
        rollback: rollback(release),
        changelog: changelog::entry(release, View::Internal),
        analysis_records: records.len(),
    }
}

/// The flags as the release found them at its start, and the warnings acknowledged
/// then; `None` before the start.
fn before_start(release: &Release) -> Option<BeforeStart> {
    let started = release
        .timeline
        .iter()
        .find(|e| e.event == EventKind::Started)?;
    let acknowledged: Vec<Warning> = started
        .details
        .as_ref()
        .and_then(|d| d.get("acknowledged"))
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    let audiences = preview::audiences(&release.plan);
    let flags = release
        .plan
        .flags
        .iter()
        .filter_map(|released| {
            let configuration = release.baseline.get(&released.key)?.clone();
            let exposure = audiences
                .iter()
                .map(|audience| {
                    let share = preview::exposure(&configuration, &released.variant, audience);
                    ShareBefore {
                        audience: audience.clone(),
                        min: f64::from(share.min) / 100.0,
                        max: f64::from(share.max) / 100.0,
                    }
                })
                .collect();
            Some(FlagBefore {
                flag: released.key.clone(),
                variant: released.variant.clone(),
                configuration,
                exposure,
            })
        })
        .collect();
    Some(BeforeStart {
        flags,
        acknowledged,
    })
}

/// The record of the release's last rollback, if it was written.
fn rollback(release: &Release) -> Option<RollbackRecord> {
    let rolled = release
        .timeline
        .iter()
        .rposition(|e| e.event == EventKind::RolledBack)?;
    release.timeline[rolled..]
        .iter()
        .find(|e| e.event == EventKind::RollbackPropagated)
        .and_then(RollbackRecord::of)
}

fn stages(
    release: &Release,
    walk: &Walk,
    records: &[rollgate_core::analysis::AnalysisRecord],
    infos: &[CheckInfo],
    now: OffsetDateTime,
) -> Vec<StageReport> {
    release
        .plan
        .stages
        .iter()
        .zip(&walk.spans)
        .enumerate()
        .map(|(index, (stage, span))| {
            let in_stage: Vec<_> = records.iter().filter(|r| r.stage == index).collect();
            let still_paused =
                span.closed_at.is_none() && span.opened_at.is_some() && walk.paused_since.is_some();
            let paused_seconds = span.paused_seconds
                + walk
                    .paused_since
                    .filter(|_| still_paused)
                    .map_or(0, |since| seconds(since, now));
            StageReport {
                index,
                audience: stage.audience.clone(),
                planned_percent: stage.percent.as_f64(),
                bake: stage.bake.map(|b| b.to_string()),
                opened_at: span.opened_at,
                closed_at: span.closed_at,
                duration_seconds: span.range(now).map(|(from, to)| seconds(from, to)),
                paused_seconds,
                percentages: span.percentages.clone(),
                end: span.end,
                analyses: in_stage.len(),
                verdicts: checks::verdict_counts(&in_stage),
                checks: infos
                    .iter()
                    .map(|info| checks::summarize(info, &in_stage))
                    .collect(),
                sample_ratio: checks::sample_ratio(&in_stage),
            }
        })
        .collect()
}
