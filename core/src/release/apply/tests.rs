//! Stage application: the exact configuration of a stage, and — by property, evaluating
//! the configurations through the real compiler and evaluator — ring monotonicity,
//! monotone ramps and coherent cohorts over the stage sequence of generated plans.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use proptest::prelude::{Just, ProptestConfig, any, prop_assert, prop_assert_eq, proptest};
use proptest::strategy::Strategy as Generator;
use serde_json::json;

use super::*;
use crate::context::Context;
use crate::model::{Flag, Segment, builtin_segment};
use crate::release::testing::{TestCatalog, example};
use crate::release::{PlanCatalog, Stage, Strategy, validate_plan};
use crate::{compile, evaluate};

const TARGET: FlagTarget<'static> = FlagTarget {
    released: "on",
    control: "off",
    stickiness: None,
};

fn percent(p: f64) -> Percent {
    Percent::from_percent(p).unwrap()
}

#[test]
fn a_general_stage_opens_earlier_rings_and_rolls_out_the_rest() {
    let plan = example();
    let config = stage_config(
        &plan,
        "rel-1",
        TARGET,
        Position {
            stage: 3,
            percent: percent(10.0),
        },
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&config).unwrap(),
        json!({
            "enabled": true, "off_variant": "off", "salt": "rel-1",
            "rules": [ { "segment": "alpha", "serve": { "variant": "on" } },
                       { "segment": "beta", "serve": { "variant": "on" } } ],
            "default": { "rollout": [ { "variant": "on", "weight": 1000 }, { "variant": "off", "weight": 9000 } ] }
        })
    );
}

#[test]
fn a_ring_stage_targets_its_audience_and_serves_control_to_the_rest() {
    let mut plan = example();
    plan.stages[1].percent = percent(25.0);
    plan.stages.insert(
        2,
        Stage {
            audience: "beta".into(),
            percent: Percent::FULL,
            bake: None,
        },
    );
    let config = stage_config(
        &plan,
        "rel-1",
        TARGET,
        Position {
            stage: 1,
            percent: percent(25.0),
        },
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&config).unwrap()["rules"],
        json!([ { "segment": "alpha", "serve": { "variant": "on" } },
                { "segment": "beta", "serve": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } } ])
    );
    assert_eq!(config.default, Serve::variant("off"));
}

#[test]
fn completion_releases_to_everyone_and_rollback_serves_control() {
    let plan = example();
    let done = completed_config(&plan, "rel-1", TARGET);
    assert!(done.rules.is_empty());
    assert_eq!(done.default, Serve::variant("on"));
    let back = control_config("rel-1", TARGET);
    assert!(back.rules.is_empty());
    assert_eq!(back.default, Serve::variant("off"));
    assert_eq!(back.salt.as_deref(), Some("rel-1"));
}

#[test]
fn a_position_outside_the_plan_is_an_error_not_a_panic() {
    let plan = example();
    let error = stage_config(
        &plan,
        "s",
        TARGET,
        Position {
            stage: 6,
            percent: Percent::FULL,
        },
    )
    .unwrap_err();
    assert_eq!(error.field, "current_stage");
    assert!(
        stage_config(
            &plan,
            "s",
            TARGET,
            Position {
                stage: 0,
                percent: Percent::ZERO
            }
        )
        .is_err()
    );
}

fn segments() -> Vec<Segment> {
    let mut segments: Vec<Segment> = ["alpha", "beta", "general"]
        .into_iter()
        .filter_map(builtin_segment)
        .collect();
    segments.push(
        serde_json::from_value(json!({
            "key": "nl-customers",
            "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ] } ]
        }))
        .unwrap(),
    );
    segments
}

/// The two released flags configured for `position`.
fn flags_at(plan: &ReleasePlan, position: Position) -> Vec<Flag> {
    let catalog = TestCatalog::new();
    ["new-checkout", "one-click-pay"]
        .into_iter()
        .map(|key| {
            let mut flag = catalog.flag(key).unwrap().clone();
            let config = stage_config(plan, "rel-42", TARGET, position).unwrap();
            flag.environments
                .insert("production".into(), Box::new(config));
            flag
        })
        .collect()
}

struct User {
    context: Context,
    audiences: Vec<&'static str>,
}

fn user(index: usize, ring: u8, dutch: bool) -> User {
    let mut context = Context::with_targeting_key(format!("user-{index}"));
    let mut audiences = vec!["general"];
    match ring {
        0 => {
            context.insert("ring", "alpha");
            audiences.push("alpha");
        }
        1 => {
            context.insert("ring", "beta");
            audiences.push("beta");
        }
        _ => {}
    }
    context.insert("country", if dutch { "NL" } else { "DE" });
    if dutch {
        audiences.push("nl-customers");
    }
    User { context, audiences }
}

/// A valid plan: a subset of rings in order, each ramping up to 100 %, general last;
/// with the positions a release walks through (stages, plus percentages set by hand
/// between a stage and the next one of the same ring).
fn plan_and_positions() -> impl Generator<Value = (ReleasePlan, Vec<Position>)> {
    let ring = |present: bool| {
        (
            Just(present),
            proptest::collection::vec(1u32..=10_000, 0..4),
            proptest::collection::vec(any::<bool>(), 4),
        )
    };
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        ring(true),
        ring(true),
        ring(true),
        ring(true),
        any::<bool>(),
    )
        .prop_map(|(alpha, beta, nl, a, b, n, g, shadow)| {
            let mut plan = example();
            plan.analysis = None;
            if shadow {
                plan.strategy = Strategy::Shadow;
            }
            plan.stages.clear();
            let mut positions = Vec::new();
            let rings = [
                ("alpha", alpha, a),
                ("beta", beta, b),
                ("nl-customers", nl, n),
                ("general", true, g),
            ];
            for (audience, present, (_, mut ramp, manual)) in rings {
                if !present {
                    continue;
                }
                ramp.sort_unstable();
                ramp.push(10_000);
                for (i, points) in ramp.iter().enumerate() {
                    let stage = plan.stages.len();
                    let p = Percent::from_basis_points(*points).unwrap();
                    plan.stages.push(Stage {
                        audience: audience.into(),
                        percent: p,
                        bake: None,
                    });
                    positions.push(Position { stage, percent: p });
                    if let (Some(next), true) = (ramp.get(i + 1), manual[i % 4]) {
                        let between = (points + next) / 2;
                        positions.push(Position {
                            stage,
                            percent: Percent::from_basis_points(between).unwrap(),
                        });
                    }
                }
            }
            (plan, positions)
        })
}

fn users() -> impl Generator<Value = Vec<(u8, bool)>> {
    proptest::collection::vec((0u8..3, any::<bool>()), 50..200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn exposure_only_grows_stays_coherent_and_respects_rings(
        (plan, positions) in plan_and_positions(),
        population in users(),
    ) {
        prop_assert!(validate_plan(&plan, &TestCatalog::new(), None).is_empty());
        let segments = segments();
        let users: Vec<User> = population
            .iter()
            .enumerate()
            .map(|(i, (ring, dutch))| user(i, *ring, *dutch))
            .collect();
        let rings = plan.rings();
        let mut exposed_before = vec![false; users.len()];
        for position in &positions {
            let flags = flags_at(&plan, *position);
            let snapshot = compile("production", 1, &flags, &segments).snapshot;
            let current_ring = rings.iter().position(|r| r.first <= position.stage && position.stage <= r.last).unwrap();
            for (u, user) in users.iter().enumerate() {
                let outcomes: Vec<(bool, Option<&str>)> = ["new-checkout", "one-click-pay"]
                    .iter()
                    .map(|key| {
                        let e = evaluate(&snapshot, key, &user.context);
                        if plan.strategy == Strategy::Shadow {
                            assert_eq!(e.variant, Some("off"), "shadow always serves control");
                            (e.shadow_variant == Some("on"), e.shadow_variant)
                        } else {
                            assert_eq!(e.shadow_variant, None);
                            (e.variant == Some("on"), e.shadow_variant)
                        }
                    })
                    .collect();
                let exposed = outcomes[0].0;
                prop_assert_eq!(outcomes[0], outcomes[1], "cohorts of one release stay together");
                if exposed_before[u] {
                    prop_assert!(exposed, "user {} lost the feature at {:?}", u, position);
                }
                if exposed {
                    let allowed = rings[..=current_ring].iter().any(|r| user.audiences.contains(&r.audience));
                    prop_assert!(allowed, "user {} exposed outside the opened rings at {:?}", u, position);
                }
                exposed_before[u] = exposed;
            }
        }
        prop_assert!(exposed_before.iter().all(|e| *e), "the last stage exposes everyone");
    }
}
