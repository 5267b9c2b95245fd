//! The report's "Before the start": each released flag as the release found it — its
//! configuration in a few words and the share of each audience it served the released
//! variant — and what a rollback means, as plain text for both renderings.

use rollgate_core::model::{FlagConfig, Serve};

use super::model::BeforeStart;
use super::tables::{Row, Tone};
use super::text;

/// The header of the table of flags before the start.
pub(crate) const BEFORE_HEADER: [&str; 3] = [
    "flag → released variant",
    "configuration before the start",
    "share served the released variant before",
];

/// One row per released flag as the release found it.
pub(crate) fn before_rows(before: &BeforeStart) -> Vec<Row> {
    before
        .flags
        .iter()
        .map(|flag| {
            let shares: Vec<String> = flag
                .exposure
                .iter()
                .map(|share| {
                    let range = if share.min == share.max {
                        text::percent(share.min)
                    } else {
                        format!(
                            "{} to {}",
                            text::percent(share.min),
                            text::percent(share.max)
                        )
                    };
                    format!("{} {range}", share.audience)
                })
                .collect();
            Row {
                cells: vec![
                    format!("{} → {}", flag.flag, flag.variant),
                    config_words(&flag.configuration),
                    shares.join(", "),
                ],
                tone: Tone::Plain,
                notes: Vec::new(),
            }
        })
        .collect()
}

/// What a flag configuration serves, in a few words.
pub(crate) fn config_words(config: &FlagConfig) -> String {
    let serve = |serve: &Serve| match (&serve.variant, &serve.rollout) {
        (Some(variant), _) => variant.clone(),
        (None, Some(arms)) => {
            let total: u32 = serve
                .total_weight
                .unwrap_or_else(|| arms.iter().map(|a| a.weight).sum());
            arms.iter()
                .map(|arm| {
                    let share = f64::from(arm.weight) * 100.0 / f64::from(total.max(1));
                    format!("{} {}", arm.variant, text::percent(share))
                })
                .collect::<Vec<_>>()
                .join(" / ")
        }
        (None, None) => "—".to_owned(),
    };
    if !config.enabled {
        return format!("disabled (serves {} to everyone)", config.off_variant);
    }
    let salt = if config.unsalted {
        "unsalted".to_owned()
    } else {
        format!("salt {}", config.salt.as_deref().unwrap_or("the flag key"))
    };
    format!(
        "{} rule(s), default {}; control {}; {salt}",
        config.rules.len(),
        serve(&config.default),
        config.off_variant
    )
}

/// What a rollback does, said once under the table of flags before the start.
pub(crate) const ROLLBACK_MEANING: &str = "A rollback serves control (each flag's off_variant) to everyone, all flags in one write; it does not restore the configuration above, which is kept here for the record.";
