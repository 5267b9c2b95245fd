//! The preview: exposures before → after and the warnings of concrete flags; and, by
//! property, that a share's bounds hold every user the real evaluator serves (for
//! configurations without rollouts, where each user's outcome is certain) and that the
//! release's own stages never lower any audience's share.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use proptest::prelude::{ProptestConfig, any, prop_assert, prop_oneof, proptest};
use proptest::strategy::{Just, Strategy as Generator};
use serde_json::{Value, json};

use super::*;
use crate::context::Context;
use crate::model::{Segment, builtin_segment};
use crate::release::testing::example;
use crate::{compile, evaluate};

fn flag(production: Value) -> Flag {
    serde_json::from_value(json!({
        "key": "new-checkout",
        "variants": { "on": true, "off": false, "beta-look": true },
        "environments": { "production": production }
    }))
    .unwrap()
}

fn preview(production: Value) -> (FlagPreview, Vec<Warning>) {
    preview_flag(&example(), "rel-1", &flag(production), "on")
        .unwrap()
        .unwrap()
}

fn codes(warnings: &[Warning]) -> Vec<WarningCode> {
    let mut codes: Vec<WarningCode> = warnings.iter().map(|w| w.code).collect();
    codes.dedup();
    codes
}

fn share(preview: &FlagPreview, audience: &str) -> (Share, Share) {
    let found = preview
        .exposure
        .iter()
        .find(|s| s.audience == audience)
        .unwrap();
    (found.before, found.after)
}

#[test]
fn a_flag_at_fifty_percent_loses_exposure_and_reshuffles_its_cohorts() {
    let (preview, warnings) = preview(json!({
        "enabled": true, "off_variant": "off",
        "default": { "rollout": [ { "variant": "on", "weight": 5000 }, { "variant": "off", "weight": 5000 } ] }
    }));
    let (before, after) = share(&preview, "general");
    assert_eq!(before, Share::exact(5000));
    // The first stage is alpha at 100 %: everyone else gets control, alpha members
    // (an unknown part of everyone) get the variant.
    assert_eq!(
        after,
        Share {
            min: 0,
            max: 10_000
        }
    );
    assert_eq!(share(&preview, "alpha").1, Share::exact(10_000));
    assert_eq!(
        codes(&warnings),
        [WarningCode::ExposureDecrease, WarningCode::CohortReshuffle]
    );
    let general = warnings
        .iter()
        .find(|w| w.audience.as_deref() == Some("general"))
        .unwrap();
    assert!(
        general.message.contains("50 % of general gets on now"),
        "{}",
        general.message
    );
    assert!(general.message.contains("may take"), "{}", general.message);
    let reshuffle = warnings
        .iter()
        .find(|w| w.code == WarningCode::CohortReshuffle)
        .unwrap();
    assert!(reshuffle.message.contains("salt \"new-checkout\""));
    assert!(reshuffle.message.contains("(rel-1)"));
}

#[test]
fn a_flag_that_serves_control_to_everyone_starts_without_a_warning() {
    let (preview, warnings) = preview(json!({
        "enabled": true, "off_variant": "off",
        "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ],
                     "serve": { "variant": "off" } } ],
        "default": { "variant": "off" }
    }));
    assert_eq!(warnings, []);
    assert_eq!(share(&preview, "general").0, Share::exact(0));
    assert_eq!(preview.after.salt.as_deref(), Some("rel-1"));
    assert_eq!(preview.before.rules.len(), 1);
}

#[test]
fn a_variant_served_to_everyone_is_taken_away_by_a_partial_first_stage() {
    let mut plan = example();
    plan.stages.drain(..2);
    let everyone_on = flag(json!({
        "enabled": true, "off_variant": "off", "default": { "variant": "on" }
    }));
    let (first, warnings) = preview_flag(&plan, "rel-1", &everyone_on, "on")
        .unwrap()
        .unwrap();
    assert_eq!(
        share(&first, "general"),
        (Share::exact(10_000), Share::exact(100))
    );
    let general = warnings
        .iter()
        .find(|w| w.audience.as_deref() == Some("general"))
        .unwrap();
    assert_eq!(general.code, WarningCode::ExposureDecrease);
    assert!(
        general.message.contains("takes it away"),
        "{}",
        general.message
    );
    assert!(
        general.message.contains("at the first stage 1 %"),
        "{}",
        general.message
    );
    // With alpha first, alpha members keep it, so for the others it only may go.
    let (_, warnings) = preview(json!({
        "enabled": true, "off_variant": "off", "default": { "variant": "on" }
    }));
    let beta = warnings
        .iter()
        .find(|w| w.audience.as_deref() == Some("beta"))
        .unwrap();
    assert!(beta.message.contains("may take"), "{}", beta.message);
    assert!(
        !warnings
            .iter()
            .any(|w| w.audience.as_deref() == Some("alpha"))
    );
}

#[test]
fn a_disabled_flag_is_switched_on_by_the_start() {
    let (preview, warnings) = preview(json!({
        "enabled": false, "off_variant": "off", "default": { "variant": "on" }
    }));
    assert_eq!(codes(&warnings), [WarningCode::DisabledFlagEnabled]);
    assert_eq!(share(&preview, "general").0, Share::exact(0));
    assert!(preview.after.enabled);
}

#[test]
fn a_third_variant_is_withdrawn() {
    let (_, warnings) = preview(json!({
        "enabled": true, "off_variant": "off",
        "rules": [ { "segment": "beta", "serve": { "variant": "beta-look" } } ],
        "default": { "variant": "off" }
    }));
    assert_eq!(codes(&warnings), [WarningCode::VariantWithdrawn]);
    assert!(warnings[0].message.contains("nobody gets beta-look"));
}

#[test]
fn shares_follow_rules_segments_and_rollouts() {
    let config = |rules: Value, default: Value| -> FlagConfig {
        serde_json::from_value(
            json!({ "enabled": true, "off_variant": "off", "rules": rules, "default": default }),
        )
        .unwrap()
    };
    let on = json!({ "variant": "on" });
    let off = json!({ "variant": "off" });
    // A rule for the audience itself decides for it; for others it is a part.
    let c = config(json!([ { "segment": "beta", "serve": on } ]), off.clone());
    assert_eq!(exposure(&c, "on", "beta"), Share::exact(10_000));
    assert_eq!(
        exposure(&c, "on", "alpha"),
        Share {
            min: 0,
            max: 10_000
        }
    );
    // A catch-all rule hides everything after it.
    let c = config(
        json!([ { "serve": off }, { "segment": "beta", "serve": on } ]),
        on.clone(),
    );
    assert_eq!(exposure(&c, "on", "beta"), Share::exact(0));
    // total_weight rollouts are read as their share; shadow serves give nothing.
    let c = config(
        json!([]),
        json!({ "rollout": [ { "variant": "on", "weight": 1 }, { "variant": "off", "weight": 2 } ], "total_weight": 3 }),
    );
    assert_eq!(exposure(&c, "on", "general"), Share::exact(3333));
    let c = config(json!([]), json!({ "variant": "on", "shadow": true }));
    assert_eq!(exposure(&c, "on", "general"), Share::exact(0));
}

#[test]
fn warning_codes_read_back() {
    for code in WarningCode::ALL {
        assert_eq!(WarningCode::parse(code.as_str()), Some(code));
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            json!(code.as_str()),
            "the wire name is the code"
        );
    }
    assert_eq!(WarningCode::parse("exposure_increase"), None);
}

#[test]
fn a_preview_reads_back_as_written() {
    let (preview, _) = preview(json!({
        "enabled": true, "off_variant": "off",
        "default": { "rollout": [ { "variant": "on", "weight": 5 }, { "variant": "off", "weight": 9995 } ] }
    }));
    let written = serde_json::to_value(&preview).unwrap();
    assert_eq!(
        written["exposure"][0]["before"],
        json!({ "min": 0.05, "max": 0.05 })
    );
    let read: FlagPreview = serde_json::from_value(written).unwrap();
    assert_eq!(read, preview);
    let share = Share {
        min: 1250,
        max: 10_000,
    };
    let read: Share = serde_json::from_value(serde_json::to_value(share).unwrap()).unwrap();
    assert_eq!(read, share);
}

fn segments() -> Vec<Segment> {
    ["alpha", "beta", "general"]
        .into_iter()
        .filter_map(builtin_segment)
        .collect()
}

/// A rule of a generated configuration: a segment (or none) and a condition (or
/// none), serving one of three variants.
fn rule() -> impl Generator<Value = Value> {
    let segment = prop_oneof![
        Just(None),
        Just(Some("alpha")),
        Just(Some("beta")),
        Just(Some("general"))
    ];
    let variant = prop_oneof![Just("on"), Just("off"), Just("beta-look")];
    (segment, any::<bool>(), variant).prop_map(|(segment, conditional, variant)| {
        let mut rule = json!({ "serve": { "variant": variant } });
        if let Some(segment) = segment {
            rule["segment"] = json!(segment);
        }
        if conditional {
            rule["conditions"] =
                json!([ { "attribute": "country", "op": "in", "values": ["NL"] } ]);
        }
        rule
    })
}

fn configuration() -> impl Generator<Value = Value> {
    (
        any::<bool>(),
        proptest::collection::vec(rule(), 0..5),
        prop_oneof![Just("on"), Just("off")],
    )
        .prop_map(|(enabled, rules, default)| {
            json!({ "enabled": enabled, "off_variant": "off", "rules": rules, "default": { "variant": default } })
        })
}

/// Users of every ring, Dutch or not.
fn population() -> Vec<(Context, Vec<&'static str>)> {
    let mut users = Vec::new();
    for (index, ring) in [None, Some("alpha"), Some("beta")]
        .into_iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        let mut context = Context::with_targeting_key(format!("user-{index}"));
        let mut audiences = vec!["general"];
        if let Some(ring) = ring {
            context.insert("ring", ring);
            audiences.push(ring);
        }
        context.insert("country", if index % 2 == 0 { "NL" } else { "DE" });
        users.push((context, audiences));
    }
    users
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_share_holds_every_user_the_evaluator_serves(production in configuration()) {
        let flag = flag(production);
        let config: &FlagConfig = &flag.environments["production"];
        let snapshot = compile("production", 1, std::slice::from_ref(&flag), &segments()).snapshot;
        for audience in ["alpha", "beta", "general"] {
            let share = exposure(config, "on", audience);
            for (context, audiences) in population() {
                if !audiences.contains(&audience) {
                    continue;
                }
                let served = evaluate(&snapshot, "new-checkout", &context).variant == Some("on");
                let points = if served { 10_000 } else { 0 };
                if share.is_exact() {
                    prop_assert!(points == share.min, "{audience}: {context:?} got {points}, share {share}");
                }
                if share.max == 0 {
                    prop_assert!(!served, "{audience}: nobody may get it, {context:?} did");
                }
            }
        }
    }

    #[test]
    fn the_release_never_lowers_an_audience_s_share(cut in 1u32..=1000) {
        // The first general stage at any percentage up to the next one's (10 %).
        let mut plan = example();
        plan.stages[2].percent = crate::release::Percent::from_basis_points(cut).unwrap();
        prop_assert!(crate::release::validate_plan(&plan, &crate::release::testing::TestCatalog::new(), None).is_empty());
        let flag = flag(json!({ "enabled": true, "off_variant": "off", "default": { "variant": "off" } }));
        let target = FlagTarget { released: "on", control: "off", stickiness: None };
        let mut previous: Vec<Share> = vec![Share::exact(0); 3];
        for (stage, planned) in plan.stages.iter().enumerate() {
            let position = Position { stage, percent: planned.percent };
            let config = stage_config(&plan, "rel-1", target, position).unwrap();
            let own = exposure(&config, "on", &planned.audience);
            // The stage's own audience gets at least its percentage (members of the
            // rings opened before may add to it).
            prop_assert!(own.min == planned.percent.basis_points(), "stage {stage}: {own}");
            for (slot, audience) in ["alpha", "beta", "general"].into_iter().enumerate() {
                let now = exposure(&config, "on", audience);
                prop_assert!(now.min >= previous[slot].min, "{audience} fell at stage {stage}: {now}");
                previous[slot] = now;
            }
        }
        let (first, warnings) = preview_flag(&plan, "rel-1", &flag, "on").unwrap().unwrap();
        prop_assert!(warnings.is_empty(), "{warnings:?}");
        prop_assert!(first.exposure.iter().all(|s| s.before == Share::exact(0)));
    }
}
