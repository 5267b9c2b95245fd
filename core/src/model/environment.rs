//! Environments: namespaces of flag state (`development`, `production`, …), each with
//! the release policy the organisation sets for it.

use serde::{Deserialize, Serialize};

/// An environment. Flags carry one [`crate::model::FlagConfig`] per environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The environment's key, e.g. `production`.
    #[serde(default)]
    pub key: String,
    /// Free text for humans.
    #[serde(default)]
    pub description: String,
    /// What every release in this environment must meet, whatever its plan says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_policy: Option<ReleasePolicy>,
}

/// The rules an environment sets for the releases that run in it: four eyes is the
/// organisation's choice, not the plan author's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleasePolicy {
    /// Fewest approvals a plan for this environment may ask for (`approvals_required`),
    /// 0 to 10.
    #[serde(default)]
    pub min_approvals: u32,
    /// Functions that must sign off every release here (`product_manager`, …): each
    /// plan must list them in its `signoffs_required`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signoffs_required: Vec<String>,
}

impl Environment {
    /// The environments a new store starts with.
    pub fn defaults() -> Vec<Environment> {
        ["development", "production"]
            .into_iter()
            .map(|key| Environment {
                key: key.to_owned(),
                description: String::new(),
                release_policy: None,
            })
            .collect()
    }

    /// The fewest approvals a release here needs (0 without a policy).
    pub fn min_approvals(&self) -> u32 {
        self.release_policy.as_ref().map_or(0, |p| p.min_approvals)
    }

    /// The functions that must sign off every release here.
    pub fn required_signoffs(&self) -> &[String] {
        self.release_policy
            .as_ref()
            .map_or(&[], |p| p.signoffs_required.as_slice())
    }
}
