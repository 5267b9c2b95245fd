//! Whose approval is a sign-off, and for which function: a plan's `signoffs_required`
//! names functions of its release group, and an approval signs off for one of them
//! only when it comes from a member who holds it (the token that acts for them). The
//! function is taken from the group when the approver holds exactly one that is still
//! missing; one who holds several names it (`function` in the body).

use super::super::{Actor, Release};
use crate::service::{Forbidden, Refusal, ServiceError};

/// The function `actor` signs off for by approving `release` now (`None`: a plain
/// approval, which counts towards `approvals_required` only).
pub(super) fn function_signed(
    release: &Release,
    actor: &Actor,
    named: Option<&str>,
) -> Result<Option<String>, ServiceError> {
    let plan = &release.plan;
    let held = plan.functions_of(&actor.id);
    let missing = release.missing_signoffs();
    let Some(function) = named else {
        let open: Vec<&str> = held
            .iter()
            .copied()
            .filter(|f| missing.iter().any(|m| m == f))
            .collect();
        return match open.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).to_owned())),
            several => Err(ServiceError::invalid(
                "function",
                format!(
                    "you hold {several:?} in the release group, each still to sign off; name the one this approval is for"
                ),
            )),
        };
    };
    if !plan.signoffs_required.iter().any(|f| f == function) {
        return Err(ServiceError::invalid(
            "function",
            format!(
                "unknown function {function:?}: the plan asks sign-off from {:?}",
                plan.signoffs_required
            ),
        ));
    }
    if !held.contains(&function) {
        return Err(Forbidden::NotMember {
            who: actor.name.clone(),
            role: function.to_owned(),
            what: "sign off for it",
        }
        .into());
    }
    if !missing.iter().any(|m| m == function) {
        return Err(Refusal::AlreadySigned(function.to_owned()).into());
    }
    Ok(Some(function.to_owned()))
}
