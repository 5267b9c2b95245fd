//! One interval's observations of a running release: the check templates rendered for
//! the treatment and the control cohort, the exposure queries for the sample-ratio
//! test, all sent to Prometheus at once, and the answers gathered into
//! [`Observations`] for `decide`.
//!
//! The cohorts are those of the release's first flag (all its flags share one salt, so
//! they share cohorts): treatment is its released variant, control its `off_variant`
//! in the release's environment — the `variant` label applications put on their
//! metrics. `{{flag}}` is that flag's key.

use futures_util::future::join_all;
use rollgate_core::analysis::decide::{
    CheckObservation, ExposureObservation, Observations, Standing, has_control, has_split,
};
use rollgate_core::analysis::{Arm, QueryRecord};
use rollgate_core::release::Analysis;
use time::OffsetDateTime;

use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::{Endpoint, Unavailable};
use crate::infra::promql::template::{Placeholders, escape, render};
use crate::service::App;
use crate::service::releases::Release;

/// The cohorts the queries are about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cohorts {
    /// The flag whose variants label the cohorts.
    pub flag: String,
    /// Its released variant.
    pub treatment: String,
    /// Its control variant.
    pub control: String,
}

impl Cohorts {
    /// The cohorts of `release`: its first flag, with the control variant as the served
    /// catalog has it (or as it was when the release started).
    pub(crate) fn of(app: &App, release: &Release) -> Option<Cohorts> {
        let released = release.plan.flags.first()?;
        let catalog = app.hub.catalog();
        let environment = &release.plan.environment;
        let control = catalog
            .flags
            .get(&released.key)
            .and_then(|f| f.doc.environments.get(environment))
            .map(|c| c.off_variant.clone())
            .or_else(|| {
                release
                    .baseline
                    .get(&released.key)
                    .map(|c| c.off_variant.clone())
            })?;
        Some(Cohorts {
            flag: released.key.clone(),
            treatment: released.variant.clone(),
            control,
        })
    }
}

/// Where the release stands, if it has started.
pub(crate) fn standing(release: &Release) -> Option<Standing> {
    Some(Standing {
        stage: release.current_stage?,
        percent: release.current_percent,
        since: release.stage_started_at?,
    })
}

/// The exposure counter Rollgate exports, per cohort, over the window: evaluations that
/// went through the split (OFREP and SDK reports alike).
fn exposure_template(environment: &str) -> String {
    format!(
        "sum(increase(rollgate_evaluations_total{{environment=\"{}\",flag=\"{{{{flag}}}}\",variant=\"{{{{variant}}}}\",reason=\"SPLIT\"}}[{{{{window}}}}]))",
        escape(environment)
    )
}

/// One query to send.
struct Planned {
    /// Index of the check, or `None` for exposures.
    check: Option<usize>,
    arm: Arm,
    role: &'static str,
    promql: Result<String, String>,
}

/// Sends every query of one interval to `prometheus`, evaluated at `at` (without an
/// endpoint to ask, every query is an error saying why, and none is sent).
pub(crate) async fn observe(
    client: &PrometheusClient,
    prometheus: Result<&Endpoint, Unavailable>,
    release: &Release,
    analysis: &Analysis,
    cohorts: &Cohorts,
    standing: Standing,
    at: OffsetDateTime,
) -> Observations {
    let control = has_control(&release.plan, &standing);
    let window = analysis.window().to_string();
    let arms: Vec<(Arm, &str)> = [(Arm::Treatment, cohorts.treatment.as_str())]
        .into_iter()
        .chain(control.then_some((Arm::Control, cohorts.control.as_str())))
        .collect();
    let fill = |template: &str, variant: &str| {
        render(
            template,
            &Placeholders {
                flag: &cohorts.flag,
                variant,
                release: &release.id,
                window: &window,
            },
        )
        .map_err(|e| format!("the template cannot be filled: {e}"))
    };
    let mut planned = Vec::new();
    for (index, check) in analysis.checks.iter().enumerate() {
        let templates = check.templates();
        for (arm, variant) in &arms {
            for (role, template) in &templates {
                planned.push(Planned {
                    check: Some(index),
                    arm: *arm,
                    role,
                    promql: template.map_or_else(
                        || Err(format!("the check has no `{role}`")),
                        |t| fill(t, variant),
                    ),
                });
            }
        }
    }
    let split = has_split(&standing);
    if split {
        let template = exposure_template(&release.plan.environment);
        for (arm, variant) in [
            (Arm::Treatment, cohorts.treatment.as_str()),
            (Arm::Control, cohorts.control.as_str()),
        ] {
            planned.push(Planned {
                check: None,
                arm,
                role: "exposures",
                promql: fill(&template, variant),
            });
        }
    }
    let answers = join_all(
        planned
            .iter()
            .map(|p| client.outcome(prometheus.as_ref().copied(), &p.promql, at)),
    )
    .await;
    let mut checks: Vec<CheckObservation> = analysis
        .checks
        .iter()
        .map(|c| CheckObservation {
            name: c.name.clone(),
            queries: Vec::new(),
        })
        .collect();
    let mut exposures: Vec<QueryRecord> = Vec::new();
    for (plan, outcome) in planned.into_iter().zip(answers) {
        let record = QueryRecord {
            arm: plan.arm,
            role: plan.role.to_owned(),
            promql: plan.promql.unwrap_or_default(),
            outcome,
        };
        match plan.check.and_then(|i| checks.get_mut(i)) {
            Some(check) => check.queries.push(record),
            None => exposures.push(record),
        }
    }
    let exposures = match <[QueryRecord; 2]>::try_from(exposures) {
        Ok([treatment, control]) if split => Some(ExposureObservation { treatment, control }),
        _ => None,
    };
    Observations {
        standing,
        treatment_variant: cohorts.treatment.clone(),
        control_variant: cohorts.control.clone(),
        checks,
        exposures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposure_query_names_the_environment_escaped() {
        let template = exposure_template("prod\"uction");
        assert_eq!(
            template,
            r#"sum(increase(rollgate_evaluations_total{environment="prod\"uction",flag="{{flag}}",variant="{{variant}}",reason="SPLIT"}[{{window}}]))"#
        );
        let filled = render(
            &template,
            &Placeholders {
                flag: "new-checkout",
                variant: "on",
                release: "rel-1",
                window: "30s",
            },
        );
        assert_eq!(
            filled.as_deref(),
            Ok(
                r#"sum(increase(rollgate_evaluations_total{environment="prod\"uction",flag="new-checkout",variant="on",reason="SPLIT"}[30s]))"#
            )
        );
    }
}
