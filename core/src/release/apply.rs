//! Stage application: the flag configuration each released flag has at a given stage
//! and percentage — a pure function of the plan, so the server, the controller and the
//! tests all derive the same configuration.
//!
//! At stage `i` with percentage `p` of audience `A`, every released flag gets, in the
//! release's environment:
//! - `salt` = the release's salt, on every flag of the release, so a user inside the
//!   canary sees all of the release's features together (coherent cohorts);
//! - one rule per audience opened *before* `A` (alpha, then beta, …), serving the
//!   released variant to all of it — validation guarantees each of those reached 100 %;
//! - for `A` = `general` (everyone): the default serve is a rollout of the released
//!   variant at `p` and the control variant (the flag's `off_variant`) for the rest;
//!   for any other `A`: a rule for `A` with that rollout, and control as the default;
//! - `enabled: true`, and the flag's own `off_variant` and `stickiness`.
//!
//! Percentages only grow within an audience and an audience is complete before the next
//! opens; with one salt throughout, raising the released weight only moves users *into*
//! it (monotone ramp). So a user exposed at one stage stays exposed at every later one.
//!
//! What happens to the flag's own rules and default: while a release runs it owns the
//! flag's configuration in its environment; the configuration found when it started is
//! kept in the release (its `baseline`) for the record, and is not restored:
//! - on **completion** the flag serves the released variant to everyone (no rules, the
//!   released variant as the default) — for `shadow`, the dark launch ends and the flag
//!   serves control to everyone, since nothing was released;
//! - on **rollback** the flag serves control to everyone (no rules, control as the
//!   default), all flags in one atomic write.
//!
//! `shadow` releases mark every serve that would expose a user as a shadow serve: the
//! caller gets control and the evaluation names the would-be variant.
//! `blue_green` needs nothing special here: its stages are whole audiences (100 %).

use super::{Percent, ReleasePlan, Strategy};
use crate::model::{FlagConfig, Rule, Serve, TOTAL_WEIGHT};
use crate::validate::FieldError;

use super::validate::EVERYONE;

/// One released flag as the release drives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlagTarget<'a> {
    /// The variant being released.
    pub released: &'a str,
    /// The control variant: the flag's `off_variant` in the release's environment.
    pub control: &'a str,
    /// The flag's stickiness attribute, kept as it is.
    pub stickiness: Option<&'a str>,
}

/// Where a running release stands: a stage and the percentage of its audience exposed
/// (the stage's own percentage, or what a release manager set within its audience).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Index into the plan's stages.
    pub stage: usize,
    /// Share of the stage's audience exposed.
    pub percent: Percent,
}

/// The configuration a released flag has at `position`.
pub fn stage_config(
    plan: &ReleasePlan,
    salt: &str,
    target: FlagTarget<'_>,
    position: Position,
) -> Result<FlagConfig, FieldError> {
    let Some(stage) = plan.stages.get(position.stage) else {
        return Err(FieldError::new(
            "current_stage",
            format!(
                "stage {} does not exist; the plan has {} stages",
                position.stage,
                plan.stages.len()
            ),
        ));
    };
    if position.percent == Percent::ZERO {
        return Err(FieldError::new("percent", "must be above 0 %"));
    }
    let shadow = plan.strategy == Strategy::Shadow;
    let released = || Serve::variant(target.released).shadowed(shadow);
    let mut rules: Vec<Rule> = plan
        .rings()
        .into_iter()
        .take_while(|ring| ring.last < position.stage)
        .map(|ring| Rule {
            segment: Some(ring.audience.to_owned()),
            conditions: Vec::new(),
            serve: released(),
        })
        .collect();
    let current = if position.percent.is_full() {
        released()
    } else {
        let weight = position.percent.basis_points();
        Serve::rollout([
            (target.released.to_owned(), weight),
            (target.control.to_owned(), TOTAL_WEIGHT - weight),
        ])
        .shadowed(shadow)
    };
    let default = if stage.audience == EVERYONE {
        current
    } else {
        rules.push(Rule {
            segment: Some(stage.audience.clone()),
            conditions: Vec::new(),
            serve: current,
        });
        Serve::variant(target.control)
    };
    Ok(config(salt, target, rules, default))
}

/// The configuration a released flag keeps once the release completed.
pub fn completed_config(plan: &ReleasePlan, salt: &str, target: FlagTarget<'_>) -> FlagConfig {
    let variant = if plan.strategy == Strategy::Shadow {
        target.control
    } else {
        target.released
    };
    config(salt, target, Vec::new(), Serve::variant(variant))
}

/// The configuration a released flag gets on rollback: control to everyone.
pub fn control_config(salt: &str, target: FlagTarget<'_>) -> FlagConfig {
    config(salt, target, Vec::new(), Serve::variant(target.control))
}

fn config(salt: &str, target: FlagTarget<'_>, rules: Vec<Rule>, default: Serve) -> FlagConfig {
    FlagConfig {
        enabled: true,
        off_variant: target.control.to_owned(),
        rules,
        default,
        salt: Some(salt.to_owned()),
        unsalted: false,
        stickiness: target.stickiness.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests;
