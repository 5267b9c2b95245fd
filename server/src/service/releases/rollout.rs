//! The flag writes of a release: the configuration of every released flag at a stage,
//! on completion and on rollback, as store writes guarded by each flag's version, so
//! that they go into the same atomic commit as the release document.
//!
//! The configurations themselves come from `rollgate_core::release::apply`.

use std::collections::BTreeMap;

use rollgate_core::model::{DEFAULT_STICKINESS, Flag, FlagConfig};
use rollgate_core::release::{
    FlagTarget, Position, completed_config, control_config, stage_config,
};

use super::Release;
use crate::infra::store::{Expect, Kind, Write};
use crate::service::App;
use crate::service::{Conflict, FlagProblem};
use crate::service::{ServiceError, to_body};

/// What the release does to its flags.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    /// The configuration of a stage and percentage.
    Stage(Position),
    /// Released to everyone (the release completed).
    Completed,
    /// Control to everyone (rollback).
    Control,
}

/// The current released flags, read from the store with their versions.
pub(crate) struct CurrentFlags(pub BTreeMap<String, (Flag, u64)>);

impl CurrentFlags {
    /// Reads the release's flags. A missing flag is left out (rollback still writes
    /// the others; stages refuse it).
    pub(crate) async fn read(app: &App, release: &Release) -> Result<CurrentFlags, ServiceError> {
        let mut flags = BTreeMap::new();
        for released in &release.plan.flags {
            let Some(document) = app
                .store
                .get(Kind::Flag, &released.key)
                .await
                .map_err(ServiceError::from)?
            else {
                continue;
            };
            let flag: Flag =
                serde_json::from_slice(&document.body).map_err(ServiceError::unreadable)?;
            flags.insert(released.key.clone(), (flag, document.version));
        }
        Ok(CurrentFlags(flags))
    }

    /// Each flag's configuration in the release's environment now (for the baseline).
    pub(crate) fn configs(&self, environment: &str) -> BTreeMap<String, FlagConfig> {
        self.0
            .iter()
            .filter_map(|(key, (flag, _))| {
                Some((
                    key.clone(),
                    FlagConfig::clone(flag.environments.get(environment)?),
                ))
            })
            .collect()
    }
}

/// The writes that put every released flag at `target`, each guarded by the version
/// read. For a stage or completion, every flag must still exist with its variants and
/// its configuration in the environment; rollback writes control to whatever exists,
/// falling back to the baseline for a configuration that was removed, and leaves a
/// disabled flag disabled.
pub(crate) fn flag_writes(
    release: &Release,
    current: &CurrentFlags,
    target: Target,
) -> Result<Vec<Write>, ServiceError> {
    let plan = &release.plan;
    let mut writes = Vec::with_capacity(plan.flags.len());
    for (index, released) in plan.flags.iter().enumerate() {
        let Some((flag, version)) = current.0.get(&released.key) else {
            if matches!(target, Target::Control) {
                continue;
            }
            return Err(unfit(index, &released.key, FlagProblem::Gone));
        };
        let Some(config) = flag
            .environments
            .get(&plan.environment)
            .map(|config| &**config)
            .or_else(|| release.baseline.get(&released.key))
        else {
            return Err(unfit(
                index,
                &released.key,
                FlagProblem::Unconfigured(plan.environment.clone()),
            ));
        };
        let stickiness = config
            .stickiness
            .as_deref()
            .filter(|s| *s != DEFAULT_STICKINESS);
        let flag_target = FlagTarget {
            released: &released.variant,
            control: &config.off_variant,
            stickiness,
        };
        if !matches!(target, Target::Control) {
            for variant in [flag_target.released, flag_target.control] {
                if !flag.variants.contains_key(variant) {
                    return Err(unfit(
                        index,
                        &released.key,
                        FlagProblem::MissingVariant(variant.to_owned()),
                    ));
                }
            }
        }
        let next = match target {
            Target::Stage(position) => stage_config(plan, &release.salt, flag_target, position)
                .map_err(|e| ServiceError::Invalid(vec![e]))?,
            Target::Completed => completed_config(plan, &release.salt, flag_target),
            Target::Control => FlagConfig {
                // A flag switched off by its kill switch stays off: control either way.
                enabled: config.enabled,
                ..control_config(&release.salt, flag_target)
            },
        };
        let mut flag = flag.clone();
        flag.environments
            .insert(plan.environment.clone(), Box::new(next));
        writes.push(Write::put(
            Kind::Flag,
            released.key.clone(),
            Expect::Version(*version),
            to_body(&flag)?,
        ));
    }
    Ok(writes)
}

/// A released flag that is not what the action needs.
fn unfit(index: usize, flag: &str, problem: FlagProblem) -> ServiceError {
    Conflict::ReleasedFlag {
        flag: flag.to_owned(),
        index: Some(index),
        problem,
    }
    .into()
}
