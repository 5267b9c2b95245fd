//! Unit tests of the validation report: aggregation of the timeline and the analysis
//! records, KPI planning and judging, rendering, and the stored final report.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod aggregation;
mod issues;
mod kpis;
mod rendering;
mod stored;
