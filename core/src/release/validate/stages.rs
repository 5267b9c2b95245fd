//! The stage sequence: audiences that exist, rings opened one after the other in the
//! order alpha → beta → general, percentages that only grow within a ring, each ring
//! complete before the next opens, and a last stage that releases to everyone.
//!
//! These rules are what makes ring monotonicity hold by construction: whoever is
//! exposed at one stage is exposed at every later stage.

use std::collections::BTreeMap;

use super::{MAX_STAGES, PlanCatalog};
use crate::model::BUILTIN_SEGMENTS;
use crate::release::{Percent, ReleasePlan, Strategy};
use crate::validate::{FieldError, count_field, key_field};

/// The audience that is everyone; it can only be the last ring.
pub const EVERYONE: &str = "general";

fn rank(audience: &str) -> Option<usize> {
    BUILTIN_SEGMENTS.iter().position(|ring| *ring == audience)
}

pub(super) fn check(errors: &mut Vec<FieldError>, plan: &ReleasePlan, catalog: &dyn PlanCatalog) {
    let stages = &plan.stages;
    if stages.is_empty() {
        errors.push(FieldError::new(
            "stages",
            "a release needs at least one stage",
        ));
        return;
    }
    if !count_field(errors, "stages", stages, MAX_STAGES) {
        return;
    }
    let last = stages.len() - 1;
    // audience → index of the stage that first opened it
    let mut opened: BTreeMap<&str, usize> = BTreeMap::new();
    let mut previous: Option<(usize, &str, Percent)> = None;
    let mut highest_rank: Option<(usize, &str)> = None;
    for (index, stage) in stages.iter().enumerate() {
        let field = format!("stages[{index}]");
        let audience = stage.audience.as_str();
        key_field(errors, &format!("{field}.audience"), audience);
        if !audience.is_empty() && !catalog.has_segment(audience) {
            errors.push(FieldError::new(
                format!("{field}.audience"),
                format!(
                    "unknown audience {audience:?}; an audience is a segment such as alpha, beta or general"
                ),
            ));
        }
        if stage.percent == Percent::ZERO {
            errors.push(FieldError::new(
                format!("{field}.percent"),
                "must be above 0 % (and at most 100 %)",
            ));
        }
        match plan.strategy {
            Strategy::BlueGreen if !stage.percent.is_full() => errors.push(FieldError::new(
                format!("{field}.percent"),
                format!(
                    "is {}; blue_green switches whole audiences, so every stage is 100 %",
                    stage.percent
                ),
            )),
            Strategy::Ramped if stage.bake.is_none() && index != last => {
                errors.push(FieldError::new(
                    format!("{field}.bake"),
                    "ramped releases advance on bake time alone: every stage but the last needs a `bake`",
                ))
            }
            _ => {}
        }
        match previous {
            Some((_, before, percent)) if before == audience => {
                if stage.percent < percent {
                    errors.push(FieldError::new(
                        format!("{field}.percent"),
                        format!(
                            "goes down from {percent} to {} within audience {audience}; within an audience the percentage only grows",
                            stage.percent
                        ),
                    ));
                }
            }
            _ => {
                if let Some((before_index, before, percent)) = previous {
                    if !percent.is_full() {
                        errors.push(FieldError::new(
                            format!("stages[{before_index}].percent"),
                            format!(
                                "audience {before} ends at {percent}; a ring must reach 100 % before the next one ({audience}) opens"
                            ),
                        ));
                    }
                    if before == EVERYONE {
                        errors.push(FieldError::new(
                            format!("{field}.audience"),
                            "general (everyone) is the last ring: no audience can follow it",
                        ));
                    }
                }
                if let Some(first) = opened.get(audience) {
                    errors.push(FieldError::new(
                        format!("{field}.audience"),
                        format!(
                            "audience {audience} was already opened at stages[{first}]; an audience's stages must follow one another"
                        ),
                    ));
                } else {
                    opened.insert(audience, index);
                }
                if let Some(this_rank) = rank(audience) {
                    if let Some((_, above)) =
                        highest_rank.filter(|(highest, _)| *highest > this_rank)
                    {
                        errors.push(FieldError::new(
                            format!("{field}.audience"),
                            format!(
                                "{audience} opens after {above}; rings open in the order alpha, beta, general"
                            ),
                        ));
                    }
                    if highest_rank.is_none_or(|(highest, _)| this_rank > highest) {
                        highest_rank = Some((this_rank, audience));
                    }
                }
            }
        }
        previous = Some((index, audience, stage.percent));
    }
    let final_stage = &stages[last];
    if final_stage.audience != EVERYONE || !final_stage.percent.is_full() {
        errors.push(FieldError::new(
            format!("stages[{last}]"),
            "the last stage must be general at 100 %: a release ends with the feature released to everyone",
        ));
    }
}
