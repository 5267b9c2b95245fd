//! The decision tests' fixtures: a three-stage canary plan, per-arm numbers turned into
//! observations, and a runner that decides a sequence of intervals 5 s apart.

use crate::analysis::decide::{
    CheckObservation, Decision, ExposureObservation, Observations, Progress, Standing, decide,
};
use crate::analysis::{Arm, QueryOutcome, QueryRecord};
use crate::release::{Percent, ReleasePlan};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

pub(crate) const T0: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

/// A canary 10 % → 50 % → 100 % of everyone, 10 s bakes, 5 s intervals, two checks.
pub(crate) fn plan() -> ReleasePlan {
    plan_with(json!({}))
}

/// [`plan`] with `analysis` fields replaced.
pub(crate) fn plan_with(analysis: serde_json::Value) -> ReleasePlan {
    let mut base = json!({
        "interval": "5s", "window": "5s", "alpha": 0.05, "min_samples": 100,
        "max_consecutive_errors": 3, "max_stage_duration": "60s", "on_no_data": "hold",
        "checks": [
            { "name": "error-rate", "kind": "ratio", "critical": true,
              "errors": "e{variant=\"{{variant}}\"}", "total": "t{variant=\"{{variant}}\"}",
              "max": 0.02, "consecutive_breaches": 2, "max_relative_increase": 0.25 },
            { "name": "p99-latency", "kind": "value", "query": "q{variant=\"{{variant}}\"}",
              "max": 0.3, "consecutive_breaches": 2 }
        ]
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), analysis.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    serde_json::from_value(json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": "new-checkout", "variant": "on" } ],
        "stages": [
            { "audience": "general", "percent": 10, "bake": "10s" },
            { "audience": "general", "percent": 50, "bake": "10s" },
            { "audience": "general", "percent": 100 }
        ],
        "analysis": base
    }))
    .unwrap()
}

/// One arm's numbers: requests, errors, p99. `None` is no data.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArmData {
    pub(crate) total: Option<f64>,
    pub(crate) errors: Option<f64>,
    pub(crate) p99: Option<f64>,
}

pub(crate) const HEALTHY: ArmData = ArmData {
    total: Some(1000.0),
    errors: Some(5.0),
    p99: Some(0.2),
};

pub(crate) const NO_DATA: ArmData = ArmData {
    total: None,
    errors: None,
    p99: None,
};

pub(crate) fn outcome(value: Option<f64>) -> QueryOutcome {
    match value {
        Some(value) => QueryOutcome::Value { value },
        None => QueryOutcome::NoData,
    }
}

pub(crate) fn query(arm: Arm, role: &str, outcome: QueryOutcome) -> QueryRecord {
    QueryRecord {
        arm,
        role: role.to_owned(),
        promql: format!("{role}{{arm=\"{arm:?}\"}}"),
        outcome,
    }
}

pub(crate) fn standing(stage: usize, percent: f64, since: OffsetDateTime) -> Standing {
    Standing {
        stage,
        percent: Percent::from_percent(percent).unwrap(),
        since,
    }
}

/// Observations of both checks from per-arm numbers.
pub(crate) fn observe(standing: Standing, treatment: ArmData, control: ArmData) -> Observations {
    let arms = [(Arm::Treatment, treatment), (Arm::Control, control)];
    let ratio = arms
        .iter()
        .flat_map(|(arm, data)| {
            [
                query(*arm, "errors", outcome(data.errors)),
                query(*arm, "total", outcome(data.total)),
            ]
        })
        .collect();
    let value = arms
        .iter()
        .map(|(arm, data)| query(*arm, "query", outcome(data.p99)))
        .collect();
    Observations {
        standing,
        treatment_variant: "on".to_owned(),
        control_variant: "off".to_owned(),
        checks: vec![
            CheckObservation {
                name: "error-rate".to_owned(),
                queries: ratio,
            },
            CheckObservation {
                name: "p99-latency".to_owned(),
                queries: value,
            },
        ],
        exposures: None,
    }
}

/// Every query failed (Prometheus down).
pub(crate) fn unreachable(standing: Standing) -> Observations {
    let mut observations = observe(standing, HEALTHY, HEALTHY);
    for check in &mut observations.checks {
        for q in &mut check.queries {
            q.outcome = QueryOutcome::Error {
                message: "cannot reach Prometheus: connection refused".to_owned(),
            };
        }
    }
    observations
}

/// Runs `decide` for a sequence of observations, one every 5 s from `T0 + 5 s`;
/// returns the decisions.
pub(crate) fn run(plan: &ReleasePlan, sequence: &[Observations]) -> Vec<Decision> {
    let mut progress: Option<Progress> = None;
    let mut decisions = Vec::new();
    for (i, observations) in sequence.iter().enumerate() {
        let now = T0 + time::Duration::seconds(5 * (i as i64 + 1));
        let (decision, next, _) = decide(plan, progress.as_ref(), observations, now);
        progress = Some(next);
        decisions.push(decision);
    }
    decisions
}

pub(crate) fn at(seconds: i64) -> OffsetDateTime {
    T0 + time::Duration::seconds(seconds)
}

pub(crate) fn is_hold(d: &Decision) -> bool {
    matches!(d, Decision::Hold(_))
}

/// Errors at 4 %, above the 2 % guardrail.
pub(crate) fn breaching() -> ArmData {
    ArmData {
        total: Some(1000.0),
        errors: Some(40.0),
        ..HEALTHY
    }
}

pub(crate) fn breaching_control() -> ArmData {
    // Control equally bad: the comparison finds nothing, only the guardrail speaks.
    breaching()
}

/// `observations` with the exposure queries giving these counts.
pub(crate) fn with_exposures(
    mut observations: Observations,
    treatment: f64,
    control: f64,
) -> Observations {
    observations.exposures = Some(ExposureObservation {
        treatment: query(
            Arm::Treatment,
            "exposures",
            QueryOutcome::Value { value: treatment },
        ),
        control: query(
            Arm::Control,
            "exposures",
            QueryOutcome::Value { value: control },
        ),
    });
    observations
}
