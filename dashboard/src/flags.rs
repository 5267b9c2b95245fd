//! The flag pages: the list of one environment's flags (searchable, paged) and one
//! flag with each environment's configuration, the kill switch, the rollout
//! percentage, its history with "restore this version", and an evaluation for a
//! context.

use askama::Template;

use crate::layout::{Layout, Section};

/// One flag in the list.
#[derive(Clone, Debug, Default)]
pub struct FlagRow {
    /// Its key.
    pub key: String,
    /// Its description.
    pub description: String,
    /// On or off in the environment ("" when not configured there).
    pub state: String,
    /// The rollout percentage of its split, when it has one.
    pub rollout: Option<f64>,
    /// The release that owns it there, if one runs.
    pub owner: String,
}

/// The flags of one environment.
#[derive(Template, Debug)]
#[template(path = "flags.html")]
pub struct FlagList {
    /// The frame.
    pub layout: Layout,
    /// The environment shown.
    pub environment: String,
    /// Every environment, for the switcher.
    pub environments: Vec<String>,
    /// The search text.
    pub query: String,
    /// This page of flags.
    pub rows: Vec<FlagRow>,
    /// The page, from 1.
    pub page: usize,
    /// How many pages.
    pub pages: usize,
    /// Flags matching the search.
    pub total: usize,
}

impl FlagList {
    /// The link to page `page` with the same environment and search.
    pub fn page_link(&self, page: usize) -> String {
        format!(
            "/flags?environment={}&q={}&page={page}",
            encode(&self.environment),
            encode(&self.query)
        )
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One environment's configuration of a flag.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentConfig {
    /// The environment.
    pub environment: String,
    /// Is the flag on there?
    pub enabled: bool,
    /// The rollout percentage of its default split, when it has one.
    pub rollout: Option<f64>,
    /// The configuration as JSON.
    pub json: String,
    /// What the person typed, kept when a write was refused.
    pub typed_percent: String,
}

/// One entry of a flag's history.
#[derive(Clone, Debug, Default)]
pub struct HistoryRow {
    /// The store revision of the change.
    pub revision: u64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What (`flag.put`, `flag.configure`, …).
    pub action: String,
    /// The lines that changed, `- before` and `+ after`.
    pub diff: Vec<String>,
    /// Can this version be restored (it has an "after" that is not the current one)?
    pub restorable: bool,
}

/// What an evaluation gave.
#[derive(Clone, Debug, Default)]
pub struct EvaluationView {
    /// The context, as typed.
    pub context: String,
    /// The value, as JSON.
    pub value: String,
    /// The variant.
    pub variant: String,
    /// The reason.
    pub reason: String,
    /// The evaluation's error code and details, if it failed.
    pub error: String,
    /// The targeting rule that matched ("rule 2 of 3"), if one did.
    pub rule: String,
    /// That rule, as JSON.
    pub rule_json: String,
}

/// A newer version that a write with an old one ran into.
#[derive(Clone, Debug, Default)]
pub struct ConflictView {
    /// The environment written.
    pub environment: String,
    /// The version now stored.
    pub current_version: u64,
    /// What the person typed.
    pub typed: String,
}

/// One flag.
#[derive(Template, Debug)]
#[template(path = "flag.html")]
pub struct FlagPage {
    /// The frame.
    pub layout: Layout,
    /// Its key.
    pub key: String,
    /// Its description.
    pub description: String,
    /// Its version, for `If-Match`.
    pub version: u64,
    /// Its variants, `name = value`.
    pub variants: Vec<String>,
    /// Per environment.
    pub environments: Vec<EnvironmentConfig>,
    /// Its history, newest first.
    pub history: Vec<HistoryRow>,
    /// The environment evaluations use.
    pub evaluate_in: String,
    /// The last evaluation asked for.
    pub evaluation: Option<EvaluationView>,
    /// A conflict met by the last write.
    pub conflict: Option<ConflictView>,
}
