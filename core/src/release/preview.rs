//! What starting a release will do, before it does it: for each released flag the
//! configuration now and at the first stage, the share of each audience served the
//! released variant before and after, and the warnings a release manager must
//! acknowledge by code before the start goes ahead.
//!
//! **Shares are ranges.** A flag's own rules may target conditions (`country in NL`) or
//! segments that overlap the audience in ways only the users' attributes decide, so the
//! share of an audience served a variant is known from the configuration alone only
//! between bounds. [`exposure`] walks the rules from the last to the first: a rule that
//! certainly matches every remaining member of the audience (no conditions, and no
//! segment, `general`, or the audience itself) decides alone; any other rule matches an
//! unknown part of them, so the share becomes the hull of its serve's share and the
//! share of what follows it. A disabled flag and a shadow serve give the released
//! variant to nobody.
//!
//! **Warnings** ([`WarningCode`]):
//! - `exposure_decrease` — the first stage serves the variant to a smaller share of an
//!   audience than it has now (or may: ranges are compared at their bounds);
//! - `cohort_reshuffle` — the flag gives the variant to a part of its users now, bucketed
//!   with another salt; the release buckets with its own, so its stages reach a
//!   different set of users (some who have the variant lose it, others get it);
//! - `variant_withdrawn` — the flag serves a third variant now, which nobody gets while
//!   the release runs or after it ends;
//! - `disabled_flag_enabled` — the flag is switched off now and the start switches it on;
//! - `preflight_failed` — the analysis or a KPI query could not be run against
//!   Prometheus (the server adds it; see docs/release-plan.md).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{FlagTarget, Position, ReleasePlan, stage_config};
use crate::model::{DEFAULT_STICKINESS, Flag, FlagConfig, Rule, Serve, TOTAL_WEIGHT};
use crate::validate::FieldError;

use super::validate::EVERYONE;

/// Why a start needs a person's acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// The start takes the released variant away from users who have it now.
    ExposureDecrease,
    /// The release's salt reshuffles who is in a partial rollout of the variant.
    CohortReshuffle,
    /// A variant served now is served to nobody once the release starts.
    VariantWithdrawn,
    /// The flag is disabled now; the start enables it.
    DisabledFlagEnabled,
    /// The analysis or KPI queries could not be run against Prometheus.
    PreflightFailed,
}

impl WarningCode {
    /// Every code.
    pub const ALL: [WarningCode; 5] = [
        WarningCode::ExposureDecrease,
        WarningCode::CohortReshuffle,
        WarningCode::VariantWithdrawn,
        WarningCode::DisabledFlagEnabled,
        WarningCode::PreflightFailed,
    ];

    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::ExposureDecrease => "exposure_decrease",
            WarningCode::CohortReshuffle => "cohort_reshuffle",
            WarningCode::VariantWithdrawn => "variant_withdrawn",
            WarningCode::DisabledFlagEnabled => "disabled_flag_enabled",
            WarningCode::PreflightFailed => "preflight_failed",
        }
    }

    /// The code named `name`.
    pub fn parse(name: &str) -> Option<WarningCode> {
        WarningCode::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for WarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason to stop and think before the start, in a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    /// What kind of warning; acknowledged by this code.
    pub code: WarningCode,
    /// The flag it is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// The audience it is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// What will happen, for a person.
    pub message: String,
}

/// The share of an audience served a variant, in basis points, between two bounds
/// (equal when the configuration decides it alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// At least this many basis points of the audience.
    pub min: u32,
    /// At most this many.
    pub max: u32,
}

impl Share {
    /// Exactly `points` basis points.
    pub fn exact(points: u32) -> Share {
        Share {
            min: points,
            max: points,
        }
    }

    /// The smallest range holding both.
    fn hull(self, other: Share) -> Share {
        Share {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    /// Known exactly?
    pub fn is_exact(self) -> bool {
        self.min == self.max
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = |points: u32| super::Percent::from_basis_points(points).unwrap_or_default();
        if self.is_exact() {
            write!(f, "{}", percent(self.min))
        } else {
            write!(f, "{} to {}", percent(self.min), percent(self.max))
        }
    }
}

/// A [`Share`] on the wire: `{"min": 25, "max": 25}`, in percent (written like a plan's
/// percentages).
#[derive(Serialize, Deserialize)]
struct SharePercent {
    min: super::Percent,
    max: super::Percent,
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let percent = |points: u32| super::Percent::from_basis_points(points).unwrap_or_default();
        SharePercent {
            min: percent(self.min),
            max: percent(self.max),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Share, D::Error> {
        let SharePercent { min, max } = SharePercent::deserialize(deserializer)?;
        Ok(Share {
            min: min.basis_points(),
            max: max.basis_points(),
        })
    }
}

/// The share of `audience` that `config` serves `variant`.
pub fn exposure(config: &FlagConfig, variant: &str, audience: &str) -> Share {
    if !config.enabled {
        return Share::exact(0);
    }
    config.rules.iter().rev().fold(
        Share::exact(served(&config.default, variant)),
        |rest, rule| {
            let share = Share::exact(served(&rule.serve, variant));
            if covers(rule, audience) {
                share
            } else {
                share.hull(rest)
            }
        },
    )
}

/// Does `rule` certainly match every member of `audience` it is asked about?
fn covers(rule: &Rule, audience: &str) -> bool {
    rule.conditions.is_empty()
        && rule
            .segment
            .as_deref()
            .is_none_or(|segment| segment == EVERYONE || segment == audience)
}

/// The basis points of its matches that `serve` gives `variant`.
fn served(serve: &Serve, variant: &str) -> u32 {
    if serve.shadow {
        return 0;
    }
    if let Some(fixed) = &serve.variant {
        return if fixed == variant { TOTAL_WEIGHT } else { 0 };
    }
    let arms = serve.rollout.as_deref().unwrap_or_default();
    let total = serve
        .total_weight
        .unwrap_or_else(|| arms.iter().map(|a| a.weight).sum())
        .max(1);
    let weight: u64 = arms
        .iter()
        .filter(|arm| arm.variant == variant)
        .map(|arm| u64::from(arm.weight))
        .sum();
    u32::try_from(weight * u64::from(TOTAL_WEIGHT) / u64::from(total))
        .unwrap_or(TOTAL_WEIGHT)
        .min(TOTAL_WEIGHT)
}

/// One audience's share of the released variant before and after the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceShare {
    /// The audience (a segment; `general` is everyone).
    pub audience: String,
    /// The share served the variant now, in percent.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub before: Share,
    /// The share served it at the first stage, in percent.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Share,
}

/// What the start does to one flag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlagPreview {
    /// The flag's key.
    pub flag: String,
    /// The released variant.
    pub variant: String,
    /// The control variant (its `off_variant`).
    pub control: String,
    /// Its configuration in the release's environment now.
    pub before: FlagConfig,
    /// Its configuration at the first stage.
    pub after: FlagConfig,
    /// Each audience of the plan, and everyone.
    pub exposure: Vec<AudienceShare>,
}

/// The audiences a preview speaks of: the plan's rings in order, then everyone.
pub fn audiences(plan: &ReleasePlan) -> Vec<String> {
    let mut audiences: Vec<String> = plan
        .rings()
        .iter()
        .map(|ring| ring.audience.to_owned())
        .collect();
    if !audiences.iter().any(|a| a == EVERYONE) {
        audiences.push(EVERYONE.to_owned());
    }
    audiences
}

/// What starting `plan` (salted `salt`) does to `flag`, released as `variant`, and the
/// warnings that come with it. `None` when the flag has no configuration in the
/// plan's environment (the plan's validation says so).
pub fn preview_flag(
    plan: &ReleasePlan,
    salt: &str,
    flag: &Flag,
    variant: &str,
) -> Result<Option<(FlagPreview, Vec<Warning>)>, FieldError> {
    let Some(before) = flag.environments.get(&plan.environment) else {
        return Ok(None);
    };
    let before: &FlagConfig = before;
    let Some(first) = plan.stages.first() else {
        return Ok(None);
    };
    let target = FlagTarget {
        released: variant,
        control: &before.off_variant,
        stickiness: before
            .stickiness
            .as_deref()
            .filter(|s| *s != DEFAULT_STICKINESS),
    };
    let position = Position {
        stage: 0,
        percent: first.percent,
    };
    let after = stage_config(plan, salt, target, position)?;
    let exposure: Vec<AudienceShare> = audiences(plan)
        .into_iter()
        .map(|audience| AudienceShare {
            before: self::exposure(before, variant, &audience),
            after: self::exposure(&after, variant, &audience),
            audience,
        })
        .collect();
    let mut warnings = Vec::new();
    let key = &flag.key;
    let warn = |code, audience: Option<&str>, message: String| Warning {
        code,
        flag: Some(key.clone()),
        audience: audience.map(str::to_owned),
        message,
    };
    if !before.enabled {
        warnings.push(warn(
            WarningCode::DisabledFlagEnabled,
            None,
            format!(
                "{key} is disabled in {} now (everyone gets {}); starting the release enables it",
                plan.environment, before.off_variant
            ),
        ));
    }
    for share in &exposure {
        if share.before.max > share.after.min {
            let certainly = share.before.min > share.after.max;
            warnings.push(warn(
                WarningCode::ExposureDecrease,
                Some(&share.audience),
                format!(
                    "{key}: {} of {} {} {variant} now; at the first stage {}: the start {} it away from users who have it",
                    share.before,
                    share.audience,
                    if share.before.is_exact() { "gets" } else { "may get" },
                    share.after,
                    if certainly { "takes" } else { "may take" },
                ),
            ));
        }
    }
    if before.enabled
        && let Some(partial) = partial_rollout(before, variant)
    {
        let bucketing = if before.unsalted {
            "unsalted".to_owned()
        } else {
            format!("with salt {:?}", before.salt.as_deref().unwrap_or(key))
        };
        warnings.push(warn(
            WarningCode::CohortReshuffle,
            None,
            format!(
                "{key} gives {variant} to {partial} of the users its rollout reaches now, bucketed {bucketing}; the release buckets with its own salt ({salt}), so its stages reach a different set of users: some who have {variant} now lose it, others get it"
            ),
        ));
    }
    if before.enabled {
        for other in third_variants(before, variant) {
            warnings.push(warn(
                WarningCode::VariantWithdrawn,
                None,
                format!(
                    "{key} serves {other} now; once the release starts nobody gets {other} (users get {variant} or {}), and it stays so after the release ends",
                    before.off_variant
                ),
            ));
        }
    }
    let preview = FlagPreview {
        flag: key.clone(),
        variant: variant.to_owned(),
        control: before.off_variant.clone(),
        before: before.clone(),
        after,
        exposure,
    };
    Ok(Some((preview, warnings)))
}

/// The share of the first serve that splits `variant` partially (neither nobody nor
/// everybody it reaches), as a percentage.
fn partial_rollout(config: &FlagConfig, variant: &str) -> Option<super::Percent> {
    config
        .rules
        .iter()
        .map(|r| &r.serve)
        .chain(std::iter::once(&config.default))
        .filter(|serve| serve.rollout.is_some() && !serve.shadow)
        .map(|serve| served(serve, variant))
        .find(|points| *points > 0 && *points < TOTAL_WEIGHT)
        .and_then(super::Percent::from_basis_points)
}

/// The variants other than `variant` and the control that `config` serves to someone,
/// in the order met.
fn third_variants<'a>(config: &'a FlagConfig, variant: &str) -> Vec<&'a str> {
    let mut found: Vec<&str> = Vec::new();
    let serves = config
        .rules
        .iter()
        .map(|r| &r.serve)
        .chain(std::iter::once(&config.default))
        .filter(|serve| !serve.shadow);
    for serve in serves {
        let named = serve.variant.iter().map(String::as_str).chain(
            serve
                .rollout
                .iter()
                .flatten()
                .filter(|arm| arm.weight > 0)
                .map(|arm| arm.variant.as_str()),
        );
        for name in named {
            if name != variant && name != config.off_variant && !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests;
