//! The release group: the people who watch a release — product manager, project
//! manager, engineering lead, devops lead, or any function the organisation names —
//! and the functions whose sign-off a plan needs.
//!
//! Approval by function exists because "approved by key stakeholders" means *which*
//! stakeholders, not how many: a plan says which functions must sign off, and a
//! sign-off counts only from a member holding that function (the token that acts for
//! them), never from the author. Validation here needs only the plan (and the
//! functions the environment's policy asks for); who may sign is decided by the server
//! when someone approves.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ReleasePlan;
use crate::validate::{FieldError, Lines, count_field, key_field, text_field};

/// Most members of a release group.
pub const MAX_MEMBERS: usize = 50;

/// The functions every organisation has; others may be named (any key).
pub const FUNCTIONS: [&str; 4] = [
    "product_manager",
    "project_manager",
    "engineering_lead",
    "devops_lead",
];

/// One person of the release group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The person's name, e.g. `Ada Lovelace`.
    pub name: String,
    /// The id of the admin token that acts for them (`GET /api/v1/tokens`): their
    /// sign-off and commitments are recognised by it.
    pub principal: String,
    /// What they answer for: `product_manager`, `project_manager`, `engineering_lead`,
    /// `devops_lead` or a function the organisation names (a key).
    pub function: String,
}

impl ReleasePlan {
    /// The functions the member acting as `principal` holds in the group.
    pub fn functions_of(&self, principal: &str) -> Vec<&str> {
        self.group
            .iter()
            .filter(|m| m.principal == principal)
            .map(|m| m.function.as_str())
            .collect()
    }

    /// The group member named `name`, if any.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.group.iter().find(|m| m.name == name)
    }
}

/// Checks `group` and `signoffs_required`.
pub(super) fn check(errors: &mut Vec<FieldError>, plan: &ReleasePlan) {
    if count_field(errors, "group", &plan.group, MAX_MEMBERS) {
        let mut seen = BTreeSet::new();
        for (index, member) in plan.group.iter().enumerate() {
            let field = format!("group[{index}]");
            if member.name.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("{field}.name"),
                    "must name the person",
                ));
            }
            text_field(
                errors,
                &format!("{field}.name"),
                &member.name,
                128,
                Lines::One,
            );
            key_field(errors, &format!("{field}.principal"), &member.principal);
            key_field(errors, &format!("{field}.function"), &member.function);
            if !seen.insert((member.principal.as_str(), member.function.as_str())) {
                errors.push(FieldError::new(
                    format!("{field}.function"),
                    format!(
                        "{:?} is already a {} of this group",
                        member.principal, member.function
                    ),
                ));
            }
        }
    }
    let held: BTreeSet<&str> = plan.group.iter().map(|m| m.function.as_str()).collect();
    let mut asked = BTreeSet::new();
    for (index, function) in plan.signoffs_required.iter().enumerate() {
        let field = format!("signoffs_required[{index}]");
        key_field(errors, &field, function);
        if !asked.insert(function.as_str()) {
            errors.push(FieldError::new(
                field,
                format!("{function:?} is listed twice"),
            ));
        } else if !held.contains(function.as_str()) {
            errors.push(FieldError::new(
                field,
                format!(
                    "unknown function {function:?}: no member of the group holds it, so nobody could sign off; the group's functions are {held:?}"
                ),
            ));
        }
    }
}

/// The `signoffs_required` errors of a plan that leaves out a function its
/// environment's release policy asks to sign off every release.
pub fn policy_signoff_errors(plan: &ReleasePlan, required: &[String]) -> Vec<FieldError> {
    required
        .iter()
        .filter(|function| !plan.signoffs_required.contains(function))
        .map(|function| {
            FieldError::new(
                "signoffs_required",
                format!(
                    "environment {:?} requires a sign-off by the {function} for every release (its release_policy.signoffs_required); add it, with a member of the group who holds it",
                    plan.environment
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;
    use crate::release::testing::{TestCatalog, example_json};
    use crate::release::validate_plan;

    fn fields(group: serde_json::Value, signoffs: serde_json::Value) -> Vec<String> {
        let mut doc = example_json();
        doc["group"] = group;
        doc["signoffs_required"] = signoffs;
        doc["schedule"] = json!({});
        let plan: ReleasePlan = serde_json::from_value(doc).unwrap();
        validate_plan(&plan, &TestCatalog::new(), None)
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_function_signs_off_only_when_a_member_holds_it() {
        let group = json!([
            { "name": "Pat", "principal": "tok-pat", "function": "product_manager" },
            { "name": "Eli", "principal": "tok-eli", "function": "release_train_engineer" }
        ]);
        assert!(
            fields(
                group.clone(),
                json!(["product_manager", "release_train_engineer"])
            )
            .is_empty()
        );
        assert_eq!(
            fields(group.clone(), json!(["devops_lead"])),
            ["signoffs_required[0]"]
        );
        assert_eq!(
            fields(group, json!(["product_manager", "product_manager"])),
            ["signoffs_required[1]"]
        );
    }

    #[test]
    fn members_need_a_name_a_principal_and_one_seat_per_function() {
        let group = json!([
            { "name": " ", "principal": "tok pat", "function": "product manager" },
            { "name": "Eli", "principal": "tok-eli", "function": "devops_lead" },
            { "name": "Eli again", "principal": "tok-eli", "function": "devops_lead" }
        ]);
        assert_eq!(
            fields(group, json!([])),
            [
                "group[0].name",
                "group[0].principal",
                "group[0].function",
                "group[2].function"
            ]
        );
    }

    #[test]
    fn the_policy_adds_functions_the_plan_must_name() {
        let plan: ReleasePlan = serde_json::from_value(example_json()).unwrap();
        let errors = policy_signoff_errors(&plan, &["devops_lead".to_owned()]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "signoffs_required");
        assert!(policy_signoff_errors(&plan, &[]).is_empty());
    }
}
