//! Validation of release plans: every problem as a [`FieldError`] with the path of the
//! field (`stages[3].percent`, `flags[0].variant`, `analysis.checks[1].errors`), never
//! a panic.
//!
//! What is checked here needs only the plan and the documents it names (a
//! [`PlanCatalog`]); checks across releases ("this flag is already in a running
//! release") belong to the server, which sees them all.

mod analysis;
mod stages;

use std::collections::BTreeSet;

use time::OffsetDateTime;

pub use super::group::policy_signoff_errors;
use super::{ReleasePlan, Schedule};
use crate::model::{DEFAULT_STICKINESS, Flag};
use crate::validate::{FieldError, Lines, MAX_DESCRIPTION, count_field, key_field, text_field};

pub use analysis::check_template;
pub use stages::EVERYONE;

/// Most flags one release ships.
pub const MAX_RELEASED_FLAGS: usize = 50;
/// Most stages of a plan.
pub const MAX_STAGES: usize = 50;
/// Most approvals a plan may require.
pub const MAX_APPROVALS: u32 = 10;
/// Most checklist items, risks, KPIs or maintenance windows of a plan.
pub const MAX_ITEMS: usize = 100;
/// Longest plan name, in bytes.
pub const MAX_NAME: usize = 200;
/// Longest `notes`, in bytes.
pub const MAX_NOTES: usize = 64 << 10;

/// The documents a plan refers to.
pub trait PlanCatalog {
    /// Does the environment exist?
    fn has_environment(&self, key: &str) -> bool;
    /// Does the segment (audience) exist?
    fn has_segment(&self, key: &str) -> bool;
    /// The flag, if it exists.
    fn flag(&self, key: &str) -> Option<&Flag>;
    /// The fewest approvals the environment's release policy asks for (0 without one).
    fn min_approvals(&self, _environment: &str) -> u32 {
        0
    }
    /// The functions the environment's release policy asks to sign off (none without
    /// one).
    fn required_signoffs(&self, _environment: &str) -> Vec<String> {
        Vec::new()
    }
}

/// Longest announcement title, in bytes.
pub const MAX_TITLE: usize = 200;
/// Longest announcement body, in bytes.
pub const MAX_ANNOUNCEMENT: usize = 16 << 10;

/// Checks a plan. With `now`, schedule times must not be in the past (pass it when the
/// schedule is new or changed: an approved plan whose start time has come is not
/// invalid, it is due).
pub fn validate_plan(
    plan: &ReleasePlan,
    catalog: &dyn PlanCatalog,
    now: Option<OffsetDateTime>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if plan.name.trim().is_empty() {
        errors.push(FieldError::new("name", "must not be empty"));
    }
    text_field(&mut errors, "name", &plan.name, MAX_NAME, Lines::One);
    if let Err(e) = semver::Version::parse(&plan.release_version) {
        errors.push(FieldError::new(
            "release_version",
            format!(
                "{:?} is not a semantic version such as \"2.4.0\": {e}",
                plan.release_version
            ),
        ));
    }
    key_field(&mut errors, "environment", &plan.environment);
    let environment_known = catalog.has_environment(&plan.environment);
    if !environment_known && !plan.environment.is_empty() {
        errors.push(FieldError::new(
            "environment",
            format!("unknown environment {:?}", plan.environment),
        ));
    }
    check_flags(&mut errors, plan, catalog, environment_known);
    stages::check(&mut errors, plan, catalog);
    if let Some(analysis) = &plan.analysis {
        analysis::check(&mut errors, analysis);
    }
    analysis::check_kpis(&mut errors, &plan.kpis);
    check_schedule(&mut errors, &plan.schedule, now);
    if plan.approvals_required > MAX_APPROVALS {
        errors.push(FieldError::new(
            "approvals_required",
            format!(
                "must be at most {MAX_APPROVALS}, got {}",
                plan.approvals_required
            ),
        ));
    }
    if environment_known {
        errors.extend(policy_error(plan, catalog.min_approvals(&plan.environment)));
        errors.extend(policy_signoff_errors(
            plan,
            &catalog.required_signoffs(&plan.environment),
        ));
    }
    super::group::check(&mut errors, plan);
    super::tasks::check(&mut errors, plan);
    super::resources::check(&mut errors, plan);
    super::watch::check(&mut errors, plan);
    check_announcement(&mut errors, plan);
    check_readiness(&mut errors, plan);
    text_field(&mut errors, "notes", &plan.notes, MAX_NOTES, Lines::Many);
    errors
}

fn check_flags(
    errors: &mut Vec<FieldError>,
    plan: &ReleasePlan,
    catalog: &dyn PlanCatalog,
    environment_known: bool,
) {
    if plan.flags.is_empty() {
        errors.push(FieldError::new(
            "flags",
            "a release ships at least one flag",
        ));
        return;
    }
    if !count_field(errors, "flags", &plan.flags, MAX_RELEASED_FLAGS) {
        return;
    }
    let mut seen = BTreeSet::new();
    let mut first_stickiness: Option<(usize, &str)> = None;
    for (index, released) in plan.flags.iter().enumerate() {
        let field = format!("flags[{index}]");
        key_field(errors, &format!("{field}.key"), &released.key);
        if !seen.insert(released.key.as_str()) {
            errors.push(FieldError::new(
                format!("{field}.key"),
                format!("flag {:?} is listed twice", released.key),
            ));
            continue;
        }
        let Some(flag) = catalog.flag(&released.key) else {
            errors.push(FieldError::new(
                format!("{field}.key"),
                format!("unknown flag {:?}", released.key),
            ));
            continue;
        };
        if !flag.variants.contains_key(&released.variant) {
            let known: Vec<&str> = flag.variants.keys().map(String::as_str).collect();
            errors.push(FieldError::new(
                format!("{field}.variant"),
                format!(
                    "unknown variant {:?}; the flag's variants are {known:?}",
                    released.variant
                ),
            ));
        }
        if !environment_known {
            continue;
        }
        let Some(config) = flag.environments.get(&plan.environment) else {
            errors.push(FieldError::new(
                format!("{field}.key"),
                format!(
                    "flag {:?} has no configuration in environment {:?}; configure it there first (its off_variant is the release's control)",
                    released.key, plan.environment
                ),
            ));
            continue;
        };
        if config.off_variant == released.variant {
            errors.push(FieldError::new(
                format!("{field}.variant"),
                format!(
                    "{:?} is the flag's control variant (its off_variant in {}); release a different variant",
                    released.variant, plan.environment
                ),
            ));
        }
        let stickiness = config.stickiness.as_deref().unwrap_or(DEFAULT_STICKINESS);
        match first_stickiness {
            None => first_stickiness = Some((index, stickiness)),
            Some((first, expected)) if expected != stickiness => errors.push(FieldError::new(
                format!("{field}.key"),
                format!(
                    "flag {:?} buckets by {stickiness:?} but flags[{first}] by {expected:?}; a release's flags must share one stickiness so its cohorts stay together",
                    released.key
                ),
            )),
            Some(_) => {}
        }
    }
}

/// The `approvals_required` error of a plan that asks for fewer approvals than its
/// environment's policy, if it does.
pub fn policy_error(plan: &ReleasePlan, min_approvals: u32) -> Option<FieldError> {
    (plan.approvals_required < min_approvals).then(|| {
        FieldError::new(
            "approvals_required",
            format!(
                "environment {:?} requires at least {min_approvals} approval(s) for every release (its release_policy.min_approvals); the plan asks for {}",
                plan.environment, plan.approvals_required
            ),
        )
    })
}

fn check_announcement(errors: &mut Vec<FieldError>, plan: &ReleasePlan) {
    let Some(announcement) = &plan.announcement else {
        return;
    };
    if announcement.title.trim().is_empty() {
        errors.push(FieldError::new(
            "announcement.title",
            "must say what end users are told",
        ));
    }
    text_field(
        errors,
        "announcement.title",
        &announcement.title,
        MAX_TITLE,
        Lines::One,
    );
    text_field(
        errors,
        "announcement.body",
        &announcement.body,
        MAX_ANNOUNCEMENT,
        Lines::Many,
    );
}

fn check_schedule(errors: &mut Vec<FieldError>, schedule: &Schedule, now: Option<OffsetDateTime>) {
    if let Some(now) = now {
        for (field, at) in [
            ("schedule.announce_at", schedule.announce_at),
            ("schedule.start_at", schedule.start_at),
        ] {
            if let Some(at) = at.filter(|at| *at < now) {
                errors.push(FieldError::new(
                    field,
                    format!("{} is in the past (now is {})", rfc3339(at), rfc3339(now)),
                ));
            }
        }
    }
    if count_field(
        errors,
        "schedule.maintenance_windows",
        &schedule.maintenance_windows,
        MAX_ITEMS,
    ) {
        for (index, window) in schedule.maintenance_windows.iter().enumerate() {
            if window.end <= window.start {
                errors.push(FieldError::new(
                    format!("schedule.maintenance_windows[{index}].end"),
                    "must be after start",
                ));
            }
        }
    }
}

fn check_readiness(errors: &mut Vec<FieldError>, plan: &ReleasePlan) {
    if count_field(errors, "checklist", &plan.checklist, MAX_ITEMS) {
        for (index, item) in plan.checklist.iter().enumerate() {
            let field = format!("checklist[{index}]");
            if item.item.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("{field}.item"),
                    "must say what must be ready",
                ));
            }
            text_field(
                errors,
                &format!("{field}.item"),
                &item.item,
                512,
                Lines::One,
            );
            text_field(
                errors,
                &format!("{field}.owner"),
                &item.owner,
                128,
                Lines::One,
            );
        }
    }
    if count_field(errors, "risks", &plan.risks, MAX_ITEMS) {
        for (index, risk) in plan.risks.iter().enumerate() {
            let field = format!("risks[{index}]");
            if risk.description.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("{field}.description"),
                    "must describe the risk",
                ));
            }
            text_field(
                errors,
                &format!("{field}.description"),
                &risk.description,
                MAX_DESCRIPTION,
                Lines::Many,
            );
            text_field(
                errors,
                &format!("{field}.mitigation"),
                &risk.mitigation,
                MAX_DESCRIPTION,
                Lines::Many,
            );
        }
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests;
