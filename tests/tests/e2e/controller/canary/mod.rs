//! The canary controller end to end, with a real Prometheus scraping the real demo
//! application and the real `rollgate` binary (see `super::support`):
//!
//! 1. a healthy release advances through every stage to `completed` by itself (before
//!    it, the preflight of a broken plan against the same Prometheus reports the query
//!    it refuses and the KPI without data);
//! 2. once errors are injected into the treatment, the release rolls back by itself and
//!    OFREP serves control to everyone, within a second of the decision;
//! 3. with Prometheus stopped mid-release, the release holds and then pauses — it never
//!    advances and never rolls back — and the controller resumes it once Prometheus
//!    answers again.
//!
//! Once each release has ended, its validation report is checked against what really
//! happened (`super::report`): stored once and the same bytes on every
//! fetch, in JSON, Markdown and HTML; every stage with its percentage and its opening
//! and closing times; per check the values Prometheus gave for the treatment and the
//! control; the controller's actions (by `system:controller`) and the issues met —
//! only a first interval without data when healthy; the failed check, the rollback and
//! its propagation record (write revision, SDK streams) when rolled back; the query
//! errors, the pause and the resume when Prometheus was away (that release is then
//! promoted by a person to its last stage, which the controller completes). The rolled
//! back release's HTML report is rendered in headless Chromium (`RG_E2E_CHROMIUM`) and
//! screenshotted under `target/report-artifacts/`.
//!
//! Intervals are one second and bakes a few seconds, so each scenario takes well under a
//! minute; every wait is a poll of the release with a deadline.

mod healthy;
mod outage;
mod rollback;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CONTROLLER: &str = "system:controller";

fn by_controller(event: &Value) -> bool {
    event["by"]["id"] == CONTROLLER
}

fn time(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}
