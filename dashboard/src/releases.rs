//! The release pages: the overview of everything in flight, the list, one release with
//! every action its state allows, the preview of a start, and the plan editor.
//!
//! The models carry the words the page shows (the controller's last verdict, the
//! exposure a stage means), so templates only lay them out.

use askama::Template;

use crate::layout::{Layout, Section};

/// One release in a list.
#[derive(Clone, Debug, Default)]
pub struct ReleaseRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its environment.
    pub environment: String,
    /// Its state (`running`, `paused`, …).
    pub state: String,
    /// Where the rollout stands, in words ("stage 2 of 4, beta at 50 %").
    pub position: String,
    /// The share of the environment's users exposed, in percent, for the bar.
    pub exposure: f64,
    /// The canary controller's last verdict in words, if it has analysed this release.
    pub verdict: String,
    /// When it starts, when scheduled.
    pub starts_at: String,
    /// Approvals given and needed ("1 of 2").
    pub approvals: String,
}

/// An incident: on the overview (recent ones) and on its release's page.
#[derive(Clone, Debug, Default)]
pub struct IncidentRow {
    /// The release it was logged on.
    pub release_id: String,
    /// The release's name.
    pub release_name: String,
    /// When.
    pub at: String,
    /// What happened.
    pub what: String,
    /// Its id within the release (`incident-1`).
    pub id: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// `open`, `mitigated` or `resolved` (with the time it took).
    pub status: String,
    /// Who sees it through.
    pub owner: String,
    /// The actions taken, each with its time and author, oldest first.
    pub actions: Vec<String>,
}

/// The overview: everything in flight.
#[derive(Template, Debug)]
#[template(path = "overview.html")]
pub struct Overview {
    /// The frame.
    pub layout: Layout,
    /// Releases running or paused.
    pub in_flight: Vec<ReleaseRow>,
    /// Releases waiting for an approval the signed-in person may give.
    pub awaiting_approval: Vec<ReleaseRow>,
    /// Releases with a scheduled start.
    pub scheduled: Vec<ReleaseRow>,
    /// The latest incidents.
    pub incidents: Vec<IncidentRow>,
    /// Announcements scheduled or made, and maintenance windows now or to come.
    pub calendar: crate::calendar::Calendar,
}

/// The list of releases, filtered.
#[derive(Template, Debug)]
#[template(path = "releases.html")]
pub struct ReleaseList {
    /// The frame.
    pub layout: Layout,
    /// The releases.
    pub rows: Vec<ReleaseRow>,
    /// The state filter ("" for all).
    pub state: String,
    /// The environment filter ("" for all).
    pub environment: String,
    /// Every state, for the filter.
    pub states: Vec<String>,
    /// Every environment, for the filter.
    pub environments: Vec<String>,
}

/// One stage of the plan.
#[derive(Clone, Debug, Default)]
pub struct StageRow {
    /// Its position, from 1.
    pub number: usize,
    /// Its audience.
    pub audience: String,
    /// Its percentage of the audience.
    pub percent: String,
    /// Its bake time, if any.
    pub bake: String,
    /// Is it the current stage?
    pub current: bool,
    /// Has the rollout passed it?
    pub done: bool,
}

/// One readiness item.
#[derive(Clone, Debug, Default)]
pub struct CheckItem {
    /// Its position, from 0 (the service's index).
    pub index: usize,
    /// What must be ready.
    pub item: String,
    /// Who sees to it.
    pub owner: String,
    /// Is it done?
    pub done: bool,
}

/// One approval.
#[derive(Clone, Debug, Default)]
pub struct ApprovalRow {
    /// Who approved.
    pub by: String,
    /// When.
    pub at: String,
    /// What they said.
    pub comment: String,
}

/// One event of the timeline.
#[derive(Clone, Debug, Default)]
pub struct EventRow {
    /// When.
    pub at: String,
    /// What (`started`, `promoted`, `analysis`, …).
    pub event: String,
    /// Who.
    pub by: String,
    /// In words: the state change, the comment, the verdict.
    pub text: String,
}

/// One risk of the risk log.
#[derive(Clone, Debug, Default)]
pub struct RiskRow {
    /// Its id within the release (`risk-2`).
    pub id: String,
    /// What could go wrong.
    pub description: String,
    /// Likelihood and impact.
    pub rating: String,
    /// What is done about it.
    pub mitigation: String,
    /// Who watches it.
    pub owner: String,
    /// `open`, `mitigating`, `closed` or `occurred`.
    pub status: String,
    /// The incident it became, when it occurred.
    pub incident: String,
}

/// What the signed-in person may do to the release now: one form each.
#[derive(Clone, Debug, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one switch per action of the state machine"
)]
pub struct Actions {
    /// Submit for approval.
    pub submit: bool,
    /// Approve.
    pub approve: bool,
    /// Start (through the preview).
    pub start: bool,
    /// Pause.
    pub pause: bool,
    /// Resume.
    pub resume: bool,
    /// Promote to the next stage.
    pub promote: bool,
    /// Set the percentage.
    pub percent: bool,
    /// Roll back.
    pub rollback: bool,
    /// Cancel.
    pub cancel: bool,
    /// Log an incident.
    pub incident: bool,
    /// Tick checklist items.
    pub checklist: bool,
    /// Edit the plan.
    pub edit: bool,
}

impl Actions {
    /// Is there any action at all?
    pub fn any(&self) -> bool {
        self.submit
            || self.approve
            || self.start
            || self.pause
            || self.resume
            || self.promote
            || self.percent
            || self.rollback
            || self.cancel
            || self.incident
    }
}

/// A release as its page shows it.
#[derive(Clone, Debug, Default)]
pub struct ReleaseView {
    /// Its id.
    pub id: String,
    /// Its version (the store's), for `If-Match` on every action.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// The version of the software it ships.
    pub release_version: String,
    /// Its environment.
    pub environment: String,
    /// Its state.
    pub state: String,
    /// Who wrote it.
    pub author: String,
    /// The flags it ships and the variant of each.
    pub flags: Vec<String>,
    /// Where the rollout stands, in words.
    pub position: String,
    /// The share of the environment's users exposed, in percent.
    pub exposure: f64,
    /// The current percentage of the stage's audience.
    pub percent: f64,
    /// The controller's last verdict in words.
    pub verdict: String,
    /// The stages.
    pub stages: Vec<StageRow>,
    /// The readiness checklist.
    pub checklist: Vec<CheckItem>,
    /// The approvals given.
    pub approvals: Vec<ApprovalRow>,
    /// Approvals needed.
    pub approvals_required: u32,
    /// The risk log.
    pub risks: Vec<RiskRow>,
    /// The incidents, in the order logged.
    pub incidents: Vec<IncidentRow>,
    /// The KPIs, in words.
    pub kpis: Vec<String>,
    /// The notes.
    pub notes: String,
    /// The timeline, newest first.
    pub timeline: Vec<EventRow>,
    /// What the signed-in person may do.
    pub actions: Actions,
    /// A chart per health check, when the controller recorded analyses.
    pub charts: Vec<crate::release_charts::CheckChart>,
}

/// The page of one release.
#[derive(Template, Debug)]
#[template(path = "release.html")]
pub struct ReleasePage {
    /// The frame.
    pub layout: Layout,
    /// The release.
    pub release: ReleaseView,
}

/// The part of a release page that changes while it is open, served alone for the
/// script to swap in.
#[derive(Template, Debug)]
#[template(path = "release_live.html")]
pub struct ReleaseLive {
    /// The frame (for the forms' anti-forgery token).
    pub layout: Layout,
    /// The release.
    pub release: ReleaseView,
}

/// One flag's change in a start's preview.
#[derive(Clone, Debug, Default)]
pub struct PreviewFlag {
    /// The flag.
    pub key: String,
    /// Each audience's share of the released variant, before → after.
    pub audiences: Vec<String>,
}

/// A warning the start must acknowledge.
#[derive(Clone, Debug, Default)]
pub struct PreviewWarning {
    /// Its code, sent back to acknowledge it.
    pub code: String,
    /// What it says.
    pub message: String,
}

/// What a start would do, with its warnings to acknowledge.
#[derive(Template, Debug)]
#[template(path = "start.html")]
pub struct StartPage {
    /// The frame.
    pub layout: Layout,
    /// The release's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: u64,
    /// Per flag, what changes.
    pub flags: Vec<PreviewFlag>,
    /// What would still block the start.
    pub blockers: Vec<String>,
    /// What the start must acknowledge.
    pub warnings: Vec<PreviewWarning>,
    /// The preflight, in words.
    pub preflight: Vec<String>,
}

/// The plan editor: a new plan, or a draft's.
#[derive(Template, Debug)]
#[template(path = "plan.html")]
pub struct PlanEditor {
    /// The frame (its errors are the plan's, by JSON path).
    pub layout: Layout,
    /// The release being edited; `None` for a new one.
    pub id: Option<String>,
    /// Its version, when editing.
    pub version: u64,
    /// The plan as JSON, as typed.
    pub json: String,
}
