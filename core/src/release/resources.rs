//! The resources a release needs — personnel, facilities, equipment, budget, or any
//! other kind — each with an amount and its unit and an owner from the release group.
//!
//! The owner's commitment is not part of the plan (the plan is what the release manager
//! writes; the commitment is what the owner answers): the server keeps it beside the
//! plan and withdraws it when the resource it was given for changes.

use serde::{Deserialize, Serialize};

use super::ReleasePlan;
use crate::validate::{FieldError, Lines, MAX_DESCRIPTION, count_field, key_field, text_field};

/// The kinds every plan knows; any other key may name a kind.
pub const KINDS: [&str; 4] = ["personnel", "facility", "equipment", "budget"];

/// One resource the release needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// `personnel`, `facility`, `equipment`, `budget` or another key.
    pub kind: String,
    /// What it is, e.g. `Support agents on call for launch week`.
    pub description: String,
    /// How much, at least 0.
    pub amount: f64,
    /// The amount's unit, e.g. `people`, `EUR`, `hours`.
    #[serde(default)]
    pub unit: String,
    /// The name of the member of the release group who commits it.
    pub owner: String,
}

/// Checks `resources`: a kind, a description, an amount that is a number and not
/// negative, and an owner who is a member of the group.
pub(super) fn check(errors: &mut Vec<FieldError>, plan: &ReleasePlan) {
    if !count_field(
        errors,
        "resources",
        &plan.resources,
        super::validate::MAX_ITEMS,
    ) {
        return;
    }
    for (index, resource) in plan.resources.iter().enumerate() {
        let field = format!("resources[{index}]");
        key_field(errors, &format!("{field}.kind"), &resource.kind);
        if resource.description.trim().is_empty() {
            errors.push(FieldError::new(
                format!("{field}.description"),
                "must say what is needed",
            ));
        }
        text_field(
            errors,
            &format!("{field}.description"),
            &resource.description,
            MAX_DESCRIPTION,
            Lines::Many,
        );
        if !resource.amount.is_finite() || resource.amount < 0.0 {
            errors.push(FieldError::new(
                format!("{field}.amount"),
                format!("must be a number at least 0, got {}", resource.amount),
            ));
        }
        text_field(
            errors,
            &format!("{field}.unit"),
            &resource.unit,
            64,
            Lines::One,
        );
        if plan.member(&resource.owner).is_none() {
            let names: Vec<&str> = plan.group.iter().map(|m| m.name.as_str()).collect();
            errors.push(FieldError::new(
                format!("{field}.owner"),
                format!(
                    "no member of the release group is named {:?}; the owner commits the resource, so name one of {names:?}",
                    resource.owner
                ),
            ));
        }
    }
}
