//! Environments: namespaces of flag state (`development`, `production`, …).

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
}

impl Environment {
    /// The environments a new store starts with.
    pub fn defaults() -> Vec<Environment> {
        ["development", "production"]
            .into_iter()
            .map(|key| Environment {
                key: key.to_owned(),
                description: String::new(),
            })
            .collect()
    }
}
