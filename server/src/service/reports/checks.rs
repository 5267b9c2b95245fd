//! The analysis records on a release's timeline, aggregated: per stage and check the
//! treatment and control values (smallest, largest, last), the verdicts counted, the
//! longest run of breaches, the last statistic; and each check as a series over time
//! for the charts.
//!
//! A record is read from any timeline event that carries one, whatever its kind; one
//! that does not parse is counted and left out.

use rollgate_core::analysis::{AnalysisRecord, CheckRecord, CheckVerdict};
use rollgate_core::release::{AnalysisCheck, CheckKind};

use super::model::{
    CheckOutcome, CheckSummary, CheckVerdictCounts, HealthPoint, HealthSeries, SampleRatioSummary,
    Spread, VerdictCounts,
};
use crate::service::releases::Release;

/// The records of a release in timeline order, and how many did not parse.
pub(crate) fn records(release: &Release) -> (Vec<AnalysisRecord>, usize) {
    let mut unreadable = 0;
    let records = release
        .timeline
        .iter()
        .filter_map(|event| event.analysis.as_ref())
        .filter_map(|value| {
            let record = serde_json::from_value::<AnalysisRecord>(value.clone()).ok();
            unreadable += usize::from(record.is_none());
            record
        })
        .collect();
    (records, unreadable)
}

/// A check's name, kind, criticality and bounds: from the plan, or from its records
/// when the plan no longer names it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CheckInfo {
    pub name: String,
    pub kind: CheckKind,
    /// A regression rolls the release back (else it pauses it).
    pub critical: bool,
    pub max: Option<f64>,
    pub min: Option<f64>,
}

/// The planned checks, then any other check the records name.
pub(crate) fn check_infos(planned: &[AnalysisCheck], records: &[AnalysisRecord]) -> Vec<CheckInfo> {
    let mut infos: Vec<CheckInfo> = planned
        .iter()
        .map(|c| CheckInfo {
            name: c.name.clone(),
            kind: c.kind,
            critical: c.critical,
            max: c.max,
            min: c.min,
        })
        .collect();
    for check in records.iter().flat_map(|r| &r.checks) {
        if !infos.iter().any(|i| i.name == check.name) {
            infos.push(CheckInfo {
                name: check.name.clone(),
                kind: check.kind,
                critical: check.critical,
                max: check.max,
                min: check.min,
            });
        }
    }
    infos
}

/// One check over the records of one stage.
pub(crate) fn summarize(info: &CheckInfo, records: &[&AnalysisRecord]) -> CheckSummary {
    let mut verdicts = CheckVerdictCounts::default();
    let mut treatment: Option<Spread> = None;
    let mut control: Option<Spread> = None;
    let mut longest_breach_run = 0;
    let mut outside_bound = 0;
    let mut statistic = None;
    let mut threshold = None;
    let mut last_verdict = None;
    let mut intervals = 0;
    for check in records.iter().filter_map(|r| find(r, &info.name)) {
        intervals += 1;
        verdicts.add(check.verdict);
        last_verdict = Some(check.verdict);
        longest_breach_run = longest_breach_run.max(check.breaches_in_row);
        // A run of breaches carries over an interval without values, and resets on one
        // within bounds: only a breach or a regression verdict can have exceeded it now.
        outside_bound += u32::from(match check.verdict {
            CheckVerdict::Breach => true,
            CheckVerdict::Regression => check.breaches_in_row > 0,
            _ => false,
        });
        spread(&mut treatment, check.treatment);
        spread(&mut control, check.control);
        if let Some(value) = check.statistic.filter(|v| v.is_finite()) {
            statistic = Some(value);
            threshold = check.threshold.filter(|v| v.is_finite());
        }
    }
    let outcome = if intervals == 0 {
        CheckOutcome::NotAnalysed
    } else if verdicts.regression > 0 {
        CheckOutcome::Regressed
    } else if verdicts.breach > 0 {
        CheckOutcome::Breached
    } else if verdicts.pass > 0 {
        CheckOutcome::Passed
    } else if verdicts.error > 0 {
        CheckOutcome::Errors
    } else {
        CheckOutcome::NoData
    };
    CheckSummary {
        name: info.name.clone(),
        kind: info.kind,
        critical: info.critical,
        max: info.max,
        min: info.min,
        intervals,
        treatment,
        control,
        verdicts,
        outside_bound,
        longest_breach_run,
        statistic,
        threshold,
        last_verdict,
        outcome,
    }
}

/// The interval verdicts of the records of one stage.
pub(crate) fn verdict_counts(records: &[&AnalysisRecord]) -> VerdictCounts {
    let mut counts = VerdictCounts::default();
    for record in records {
        counts.add(record.verdict);
    }
    counts
}

/// The sample-ratio check over the records of one stage, if any recorded exposures.
pub(crate) fn sample_ratio(records: &[&AnalysisRecord]) -> Option<SampleRatioSummary> {
    let exposures: Vec<_> = records
        .iter()
        .filter_map(|r| r.exposures.as_ref())
        .collect();
    let last = exposures.last()?;
    Some(SampleRatioSummary {
        intervals: count(exposures.len()),
        mismatches: count(exposures.iter().filter(|e| e.mismatch).count()),
        expected_share: last.expected_share,
        observed_share: last.observed_share.filter(|v| v.is_finite()),
        statistic: Some(last.statistic).filter(|v| v.is_finite()),
    })
}

/// Each check as a series over the whole release.
pub(crate) fn health(infos: &[CheckInfo], records: &[AnalysisRecord]) -> Vec<HealthSeries> {
    infos
        .iter()
        .map(|info| HealthSeries {
            check: info.name.clone(),
            kind: info.kind,
            max: info.max,
            min: info.min,
            points: records
                .iter()
                .filter_map(|record| {
                    let check = find(record, &info.name)?;
                    Some(HealthPoint {
                        at: record.at,
                        stage: record.stage,
                        treatment: check.treatment.filter(|v| v.is_finite()),
                        control: check.control.filter(|v| v.is_finite()),
                        verdict: check.verdict,
                    })
                })
                .collect(),
        })
        .collect()
}

/// The check named `name` in `record`.
pub(crate) fn find<'a>(record: &'a AnalysisRecord, name: &str) -> Option<&'a CheckRecord> {
    record.checks.iter().find(|c| c.name == name)
}

/// Is this verdict a failed check (a breach or a regression)?
pub(crate) fn failed(verdict: CheckVerdict) -> bool {
    matches!(verdict, CheckVerdict::Breach | CheckVerdict::Regression)
}

fn spread(spread: &mut Option<Spread>, value: Option<f64>) {
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return;
    };
    *spread = Some(match *spread {
        None => Spread {
            min: value,
            max: value,
            last: value,
        },
        Some(s) => Spread {
            min: s.min.min(value),
            max: s.max.max(value),
            last: value,
        },
    });
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
