//! The release plan: what ships (flags and the variant each releases), to whom and how
//! (strategy and stages), when (schedule), under what watch (analysis, KPIs), and what
//! must be ready first (approvals, checklist). The wire shape is docs/release-plan.md.
//!
//! Plain data: unknown fields are refused at parse time; meaning is checked by
//! [`super::validate_plan`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Analysis, Duration, Member, Percent, Resource, Task, Watch};

/// A release plan, as a release manager writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleasePlan {
    /// Human name, e.g. `Checkout v2`.
    pub name: String,
    /// The semantic version this release ships, e.g. `2.4.0`.
    pub release_version: String,
    /// The environment whose flags the release drives.
    pub environment: String,
    /// The flags it ships, each with the variant being released.
    pub flags: Vec<ReleasedFlag>,
    /// How the stages are walked.
    #[serde(default)]
    pub strategy: Strategy,
    /// Audience stages, in order: rings open one after the other.
    pub stages: Vec<Stage>,
    /// Automatic analysis (PromQL checks); absent: the release advances by hand (or by
    /// schedule for `ramped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
    /// Business KPIs with targets, measured for the report (and over the watch).
    #[serde(default)]
    pub kpis: Vec<Kpi>,
    /// The watch after the last stage; absent: the release ends there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<Watch>,
    /// Announcement, start and maintenance windows.
    #[serde(default)]
    pub schedule: Schedule,
    /// Approvals needed from release managers other than the author.
    #[serde(default = "one")]
    pub approvals_required: u32,
    /// The people who watch the release, each with their function.
    #[serde(default)]
    pub group: Vec<Member>,
    /// The functions that must sign off (each held by a member of `group`).
    #[serde(default)]
    pub signoffs_required: Vec<String>,
    /// Readiness items that must all be done before the release starts (the short
    /// form of `tasks`: an item and an owner, ticked done).
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// The readiness backlog: tasks by area, each done or dropped before the start.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// What the release needs (personnel, facilities, equipment, budget…), each
    /// committed by its owner before the start.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Known risks and their mitigation.
    #[serde(default)]
    pub risks: Vec<Risk>,
    /// Free text.
    #[serde(default)]
    pub notes: String,
    /// What end users are told: the public changelog and its Atom feed show it
    /// instead of flag keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<Announcement>,
}

/// What end users are told about a release (Markdown body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// A headline, e.g. `A faster checkout`.
    pub title: String,
    /// Markdown: what changes for users.
    #[serde(default)]
    pub body: String,
}

fn one() -> u32 {
    1
}

/// One flag of a release: users in the release get `variant`, everyone else the flag's
/// control variant (its `off_variant` in the release's environment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleasedFlag {
    /// The flag's key.
    pub key: String,
    /// The variant being released.
    pub variant: String,
}

/// How a release walks its stages (docs/release-plan.md, "strategy").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Audiences and percentages; each stage bakes and advances when analysis passes
    /// (or by hand).
    #[default]
    Canary,
    /// The same stages on a fixed schedule: each advances when its bake time is over.
    Ramped,
    /// Each stage switches a whole audience at once (every stage is 100 %).
    BlueGreen,
    /// A dark launch: everyone keeps control; evaluations name the variant they would
    /// have had.
    Shadow,
}

impl Strategy {
    /// The strategy's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Canary => "canary",
            Strategy::Ramped => "ramped",
            Strategy::BlueGreen => "blue_green",
            Strategy::Shadow => "shadow",
        }
    }
}

/// One stage: a percentage of an audience, held for a bake time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// A segment key: `alpha`, `beta`, `general` or another segment.
    pub audience: String,
    /// Share of the audience exposed, 0.01 to 100.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 10))]
    pub percent: Percent,
    /// How long the stage runs before it may advance (`"15m"`); required for `ramped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "15m"))]
    pub bake: Option<Duration>,
}

/// A business KPI and its target, set against the outcome in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Kpi {
    /// Name, unique within the plan.
    pub name: String,
    /// PromQL template (same placeholders as analysis checks).
    pub query: String,
    /// The bounds it should stay within.
    pub target: KpiTarget,
}

/// Bounds of a KPI; at least one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KpiTarget {
    /// Lowest acceptable value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest acceptable value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// When things happen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// When the announcement goes out (webhook `announced`), once approved.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub announce_at: Option<OffsetDateTime>,
    /// When the scheduler starts the approved release.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub start_at: Option<OffsetDateTime>,
    /// Periods in which nothing advances automatically.
    #[serde(default)]
    pub maintenance_windows: Vec<MaintenanceWindow>,
}

impl Schedule {
    /// Is `now` inside a maintenance window?
    pub fn in_maintenance(&self, now: OffsetDateTime) -> bool {
        self.maintenance_windows
            .iter()
            .any(|w| w.start <= now && now < w.end)
    }

    /// The end of the maintenance window `now` is in, if any (the latest, when
    /// windows overlap).
    pub fn maintenance_end(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.maintenance_windows
            .iter()
            .filter(|w| w.start <= now && now < w.end)
            .map(|w| w.end)
            .max()
    }
}

/// A period `[start, end)` during which the release does not advance by itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// First instant inside the window.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: OffsetDateTime,
    /// First instant after it.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: OffsetDateTime,
}

/// A readiness item: marketing materials, training, announcement…
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// What must be ready.
    pub item: String,
    /// Who sees to it.
    #[serde(default)]
    pub owner: String,
    /// Whether it is done.
    #[serde(default)]
    pub done: bool,
}

/// A known risk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// What could go wrong.
    pub description: String,
    /// How likely.
    pub likelihood: Level,
    /// How bad.
    pub impact: Level,
    /// What reduces it.
    #[serde(default)]
    pub mitigation: String,
}

/// Low, medium or high.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl ReleasePlan {
    /// The audiences in the order they open, each with the range of its stages.
    /// Validation guarantees an audience's stages are contiguous.
    pub fn rings(&self) -> Vec<Ring<'_>> {
        let mut rings: Vec<Ring<'_>> = Vec::new();
        for (index, stage) in self.stages.iter().enumerate() {
            match rings.last_mut() {
                Some(ring) if ring.audience == stage.audience => ring.last = index,
                _ => rings.push(Ring {
                    audience: &stage.audience,
                    first: index,
                    last: index,
                }),
            }
        }
        rings
    }

    /// Does `other` ship something different, or ship it differently? Such a change
    /// sends an approved plan back to `pending_approval` (as does a change to who must
    /// sign off); the name, notes, KPIs, checklist, risks and announcement do not.
    pub fn differs_materially(&self, other: &ReleasePlan) -> bool {
        self.release_version != other.release_version
            || self.environment != other.environment
            || self.flags != other.flags
            || self.strategy != other.strategy
            || self.stages != other.stages
            || self.analysis != other.analysis
            || self.watch != other.watch
            || self.schedule != other.schedule
            || self.approvals_required != other.approvals_required
            || self.group != other.group
            || self.signoffs_required != other.signoffs_required
    }
}

/// A run of consecutive stages with the same audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ring<'a> {
    /// The audience (a segment key).
    pub audience: &'a str,
    /// Index of its first stage.
    pub first: usize,
    /// Index of its last stage.
    pub last: usize,
}
