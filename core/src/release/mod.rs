//! Releases: the plan of shipping a set of features (docs/release-plan.md), its life as a
//! pure state machine, and the flag configuration each stage implies.
//!
//! - [`plan`]: the plan's wire model; [`group`]: the release group and sign-off by
//!   function; [`tasks`]: the readiness backlog; [`resources`]: what it needs; [`analysis`]: its `analysis` section;
//!   [`watch`]: the watch after the last stage; [`template`]: plans written once; [`Duration`] and [`Percent`]: the plan's units;
//! - [`risk_log`]: the living risk log the plan's risks seed; [`incidents`]: tracked
//!   issues' severities and steps;
//! - [`validate`]: field-precise validation of a plan against the documents it names;
//! - [`state`]: `draft → pending_approval → approved → running ⇄ paused → completed |
//!   rolled_back | cancelled` as a transition function;
//! - [`apply`]: the configuration of every released flag at a stage and percentage
//!   (and on completion and rollback); its module doc says what happens to a flag's own
//!   rules while a release runs;
//! - [`preview`]: what a start will do — each audience's share of the released variant
//!   before and after, and the warnings a release manager acknowledges by code.
//!
//! Like the rest of the crate: no I/O, no clock (`now` is an argument), no randomness.

pub mod analysis;
pub mod apply;
mod duration;
pub mod group;
pub mod incidents;
mod percent;
pub mod plan;
pub mod preview;
pub mod resources;
pub mod risk_log;
pub mod state;
pub mod tasks;
pub mod template;
pub mod validate;
pub mod watch;

pub use analysis::{Analysis, AnalysisCheck, CheckKind, OnNoData};
pub use apply::{FlagTarget, Position, completed_config, control_config, stage_config};
pub use duration::{Duration, DurationError};
pub use group::{FUNCTIONS, Member};
pub use incidents::{IncidentStatus, Severity};
pub use percent::Percent;
pub use plan::{
    Announcement, ChecklistItem, Kpi, KpiTarget, Level, MaintenanceWindow, ReleasePlan,
    ReleasedFlag, Ring, Risk, Schedule, Stage, Strategy,
};
pub use preview::{Warning, WarningCode};
pub use resources::Resource;
pub use risk_log::{LoggedRisk, RiskStatus};
pub use state::{ReleaseState, Step, TransitionError, transition};
pub use tasks::{AREAS, Task, TaskStatus};
pub use template::{Template, check_template};
pub use validate::{PlanCatalog, validate_plan};
pub use watch::{OnRegression, Watch};

#[cfg(test)]
pub(crate) mod testing;
