//! Evaluation follows docs/product.md §2 step by step: every reason and every error code,
//! stickiness by a custom attribute, segment membership (include, exclude, rules), and
//! what compilation leaves out when a document does not compile.
//!
//! One test binary: this file holds the fixtures the modules share; `reasons.rs` the
//! evaluation order and its reasons, `stickiness.rs` what a split buckets on,
//! `segments.rs` segment membership, `compilation.rs` what compilation leaves out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

#[path = "../common/mod.rs"]
mod common;

mod compilation;
mod reasons;
mod segments;
mod stickiness;

use common::{ENV, bool_flag, compile_with, context, flag, rollout};
use rollgate_core::{ErrorCode, Evaluation, Reason, Snapshot, evaluate};
use serde_json::{Value, json};

fn country_rule(country: &str, serve: Value) -> Value {
    json!({ "conditions": [ { "attribute": "country", "op": "in", "values": [country] } ], "serve": serve })
}

fn fixtures() -> Snapshot {
    let on = json!({ "variant": "on" });
    let off = json!({ "variant": "off" });
    let half = rollout(&[("on", 5000), ("off", 5000)]);
    let mut disabled = bool_flag(
        "disabled",
        json!([country_rule("NL", on.clone())]),
        on.clone(),
    );
    disabled.environments.get_mut(ENV).unwrap().enabled = false;
    let mut elsewhere = bool_flag("elsewhere", json!([]), on.clone());
    let config = elsewhere.environments.remove(ENV).unwrap();
    elsewhere
        .environments
        .insert("development".to_owned(), config);
    let by_company = flag(json!({
        "key": "by-company",
        "variants": { "a": "a", "b": "b", "c": "c" },
        "environments": { ENV: {
            "enabled": true, "off_variant": "a", "stickiness": "company", "salt": "s",
            "default": rollout(&[("a", 3333), ("b", 3333), ("c", 3334)])
        } }
    }));
    let flags = [
        bool_flag("static", json!([]), on.clone()),
        bool_flag(
            "targeted",
            json!([country_rule("US", on.clone())]),
            off.clone(),
        ),
        bool_flag(
            "rule-split",
            json!([country_rule("NL", half.clone())]),
            off.clone(),
        ),
        bool_flag(
            "default-split",
            json!([country_rule("US", on.clone())]),
            half,
        ),
        flag(json!({
            "key": "limits",
            "variants": { "small": { "max": 10 }, "large": { "max": 1000 } },
            "environments": { ENV: { "enabled": true, "off_variant": "small",
                "default": { "variant": "large" } } }
        })),
        disabled,
        elsewhere,
        by_company,
    ];
    compile_with(&flags, &[])
}

fn served<'s>(evaluation: &Evaluation<'s>) -> (Option<&'s str>, Reason) {
    assert_eq!(evaluation.error, None, "{evaluation:?}");
    (evaluation.variant, evaluation.reason)
}

fn failed(evaluation: &Evaluation<'_>) -> ErrorCode {
    assert_eq!(evaluation.reason, Reason::Error);
    assert_eq!((evaluation.value, evaluation.variant), (None, None));
    assert!(evaluation.error_details.is_some());
    evaluation.error.expect("an error code")
}

fn in_segment(snapshot: &Snapshot, flag: &str, user: Value) -> bool {
    let evaluation = evaluate(snapshot, flag, &context(user));
    assert_ne!(evaluation.reason, Reason::Error, "{evaluation:?}");
    evaluation.reason == Reason::TargetingMatch
}
