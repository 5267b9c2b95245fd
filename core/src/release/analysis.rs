//! The `analysis` section of a plan (docs/release-plan.md, docs/canary-analysis.md): how often the
//! controller looks, over which window, with which error budget, and the PromQL checks
//! it runs for the treatment and the control cohort.
//!
//! Stored and validated with the plan; the canary controller reads it.

use serde::{Deserialize, Serialize};

use super::Duration;

/// Analysis settings of a release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    /// Prometheus to query; absent: the server's `prometheus_url` setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    /// How often the running stage is analysed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1m"))]
    pub interval: Duration,
    /// The range `{{window}}` stands for; absent: `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2m"))]
    pub window: Option<Duration>,
    /// False-alarm budget of the comparison with control, split across checks.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Fewest requests per arm (and interval) for the data to count.
    #[serde(default = "default_min_samples")]
    pub min_samples: u64,
    /// Query errors in a row after which the release pauses.
    #[serde(default = "default_max_consecutive_errors")]
    pub max_consecutive_errors: u32,
    /// Longest a stage may go without enough data before `on_no_data` applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "2h"))]
    pub max_stage_duration: Option<Duration>,
    /// What a stage without data does once `max_stage_duration` is over.
    #[serde(default)]
    pub on_no_data: OnNoData,
    /// The health checks.
    #[serde(default)]
    pub checks: Vec<AnalysisCheck>,
}

fn default_alpha() -> f64 {
    0.05
}

fn default_min_samples() -> u64 {
    100
}

fn default_max_consecutive_errors() -> u32 {
    4
}

impl Analysis {
    /// The range `{{window}}` stands for.
    pub fn window(&self) -> Duration {
        self.window.unwrap_or(self.interval)
    }
}

/// What happens to a stage that has had no usable data for `max_stage_duration`.
/// Until then it holds either way: no data is never a pass and never, by itself, a
/// rollback before that time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnNoData {
    /// Hold, then pause.
    #[default]
    Hold,
    /// Hold, then roll back.
    Rollback,
}

/// The two kinds of check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// `errors / total` per arm: a count metric, compared with the count test.
    Ratio,
    /// One value per arm (a latency quantile, a mean): compared by its bound.
    Value,
}

/// One health check: PromQL templates with `{{flag}}`, `{{variant}}`, `{{release}}`
/// and `{{window}}`, run once for the treatment and once for the control cohort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnalysisCheck {
    /// Name, unique within the plan.
    pub name: String,
    /// `ratio` (needs `errors` and `total`) or `value` (needs `query`).
    pub kind: CheckKind,
    /// A regression of a critical check rolls back; of another, pauses.
    #[serde(default)]
    pub critical: bool,
    /// Ratio checks: the numerator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<String>,
    /// Ratio checks: the denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// Value checks: the query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Guardrail: the treatment must stay at or below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Guardrail: the treatment must stay at or above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Breaches in a row before the guardrail fires.
    #[serde(default = "default_breaches")]
    pub consecutive_breaches: u32,
    /// Largest tolerated worsening of treatment against control (0.25 = 25 % worse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_relative_increase: Option<f64>,
}

impl AnalysisCheck {
    /// The check's PromQL templates, each with the field it came from: `errors` and
    /// `total` of a ratio check, `query` of a value check (`None` when missing).
    pub fn templates(&self) -> Vec<(&'static str, Option<&str>)> {
        match self.kind {
            CheckKind::Ratio => vec![
                ("errors", self.errors.as_deref()),
                ("total", self.total.as_deref()),
            ],
            CheckKind::Value => vec![("query", self.query.as_deref())],
        }
    }
}

fn default_breaches() -> u32 {
    2
}

/// The placeholders a query template may use.
pub const PLACEHOLDERS: [&str; 4] = ["flag", "variant", "release", "window"];
