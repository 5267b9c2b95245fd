//! Releases with synthetic timelines and analysis records, for the unit tests of the
//! report and the changelog.

#![allow(clippy::unwrap_used, reason = "test support")]

use rollgate_core::analysis::{
    AnalysisRecord, Arm, CheckRecord, CheckVerdict, QueryOutcome, QueryRecord, Verdict,
};

use crate::service::reports::build::build;
use crate::service::reports::model::{KpiReport, Report};
use rollgate_core::release::CheckKind;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::service::releases::Release;

/// Minute 0 of every test timeline.
pub(crate) const T0: OffsetDateTime = datetime!(2030-01-01 09:00 UTC);

/// `T0` plus `minutes`.
pub(crate) fn at(minutes: i64) -> OffsetDateTime {
    T0 + time::Duration::minutes(minutes)
}

/// A canary plan: alpha 100 %, beta 100 %, general 10 % and 100 %; an error-rate
/// check (max 2 %) and a latency check (max 0.3 s); one KPI with a minimum.
pub(crate) fn plan() -> Value {
    json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": "new-checkout", "variant": "on" } ],
        "strategy": "canary",
        "stages": [
            { "audience": "alpha", "percent": 100, "bake": "10m" },
            { "audience": "beta", "percent": 100, "bake": "10m" },
            { "audience": "general", "percent": 10, "bake": "10m" },
            { "audience": "general", "percent": 100 }
        ],
        "analysis": {
            "interval": "1m",
            "checks": [
                { "name": "error-rate", "kind": "ratio", "critical": true,
                  "errors": "sum(increase(errors{variant=\"{{variant}}\"}[{{window}}]))",
                  "total": "sum(increase(requests{variant=\"{{variant}}\"}[{{window}}]))",
                  "max": 0.02 },
                { "name": "p99-latency", "kind": "value",
                  "query": "p99{variant=\"{{variant}}\"}", "max": 0.3 }
            ]
        },
        "kpis": [ { "name": "conversion",
                    "query": "conversion{variant=\"{{variant}}\"}[{{window}}]",
                    "target": { "min": 0.03 } } ]
    })
}

/// A timeline event at `minute` (`extra` is merged in).
pub(crate) fn event(kind: &str, minute: i64, by: &str, extra: Value) -> Value {
    let mut event = json!({
        "at": crate::service::reports::text::rfc3339(at(minute)),
        "event": kind,
        "by": { "id": by, "name": by },
    });
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        event.extend(extra.clone());
    }
    event
}

/// `started` at the first minute given, then `stage_advanced` to each next stage of
/// [`plan`] (at its planned percentage) at the following ones.
pub(crate) fn steps(minutes: &[i64]) -> Vec<Value> {
    let percents = [100, 100, 10, 100];
    minutes
        .iter()
        .zip(percents)
        .enumerate()
        .map(|(stage, (&minute, percent))| {
            let kind = if stage == 0 {
                "started"
            } else {
                "stage_advanced"
            };
            event(
                kind,
                minute,
                "alice",
                json!({ "stage": stage, "percent": percent }),
            )
        })
        .collect()
}

/// A release of [`plan`] in `state` with `timeline`.
pub(crate) fn release(state: &str, timeline: Vec<Value>) -> Release {
    release_of(plan(), state, timeline)
}

/// A release of `plan` in `state` with `timeline`.
pub(crate) fn release_of(plan: Value, state: &str, timeline: Vec<Value>) -> Release {
    let mut release = plan;
    let fields = json!({
        "id": "rel-test", "salt": "rel-test", "state": state,
        "author": { "id": "tok-alice", "name": "alice" },
        "approvals": [ { "by": { "id": "tok-bob", "name": "bob" },
                         "at": crate::service::reports::text::rfc3339(at(-10)), "comment": "looks good" } ],
        "current_stage": null, "current_percent": 0,
        "created_at": crate::service::reports::text::rfc3339(at(-60)),
        "baseline": { "new-checkout": { "enabled": true, "off_variant": "off",
                                        "default": { "variant": "off" } } },
        "timeline": timeline,
    });
    if let (Some(release), Some(fields)) = (release.as_object_mut(), fields.as_object()) {
        release.extend(fields.clone());
    }
    serde_json::from_value(release).unwrap()
}

/// The kind of event the synthetic records ride on. The report reads a record from
/// any event that carries one (the controller chooses its own kinds); this one means
/// nothing else to the report.
pub(crate) const RECORD_KIND: &str = "announced";

/// One check's outcome in a synthetic record.
pub(crate) struct Check {
    /// `error-rate` or `p99-latency`.
    pub name: &'static str,
    /// Treatment value.
    pub treatment: Option<f64>,
    /// Control value.
    pub control: Option<f64>,
    /// The verdict.
    pub verdict: CheckVerdict,
    /// Breaches in a row.
    pub breaches_in_row: u32,
}

/// A passing check.
pub(crate) fn pass(name: &'static str, treatment: f64, control: f64) -> Check {
    Check {
        name,
        treatment: Some(treatment),
        control: Some(control),
        verdict: CheckVerdict::Pass,
        breaches_in_row: 0,
    }
}

/// An analysis event at `minute` for `stage` with `checks` and the interval's verdict.
pub(crate) fn analysis(minute: i64, stage: usize, checks: Vec<Check>, verdict: Verdict) -> Value {
    let record = AnalysisRecord {
        at: at(minute),
        stage,
        percent: 100.0,
        treatment_variant: "on".into(),
        control_variant: "off".into(),
        checks: checks
            .into_iter()
            .map(|c| CheckRecord {
                name: c.name.into(),
                kind: if c.name == "error-rate" {
                    CheckKind::Ratio
                } else {
                    CheckKind::Value
                },
                critical: c.name == "error-rate",
                queries: vec![QueryRecord {
                    arm: Arm::Treatment,
                    role: "query".into(),
                    promql: format!("{}{{variant=\"on\"}}", c.name),
                    outcome: c
                        .treatment
                        .map_or(QueryOutcome::NoData, |value| QueryOutcome::Value { value }),
                }],
                treatment: c.treatment,
                control: c.control,
                max: Some(if c.name == "error-rate" { 0.02 } else { 0.3 }),
                min: None,
                breaches_in_row: c.breaches_in_row,
                statistic: Some(1.5),
                threshold: Some(40.0),
                verdict: c.verdict,
            })
            .collect(),
        exposures: None,
        baked_seconds: 60,
        verdict,
        reason: format!("{} at minute {minute}", verdict.as_str()),
    };
    event(
        RECORD_KIND,
        minute,
        "system:controller",
        json!({ "analysis": serde_json::to_value(record).unwrap() }),
    )
}

/// KPIs not measured, none planned.
pub(crate) fn no_kpis() -> KpiReport {
    KpiReport {
        prometheus_url: None,
        measured: false,
        note: None,
        results: Vec::new(),
    }
}

/// An error-rate breach (control 0.01), the `in_row`-th in a row.
pub(crate) fn breach(treatment: f64, in_row: u32) -> Check {
    Check {
        name: "error-rate",
        treatment: Some(treatment),
        control: Some(0.01),
        verdict: CheckVerdict::Breach,
        breaches_in_row: in_row,
    }
}

/// A check without a value (no data or an error).
pub(crate) fn no_data(name: &'static str, verdict: CheckVerdict) -> Check {
    Check {
        name,
        treatment: None,
        control: None,
        verdict,
        breaches_in_row: 0,
    }
}

/// Alpha and beta pass, general 10 % breaches twice and the controller rolls back.
pub(crate) fn rolled_back_by_the_controller() -> Report {
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
