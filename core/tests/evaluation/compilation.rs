//! What compilation leaves out when a document does not compile (a flag, a segment and
//! the flags that use it, too many variants), and what it shares between documents.

use rollgate_core::compile;
use serde_json::{Value, json};

use crate::common::{ENV, bool_flag, builtin_segments, compile_with, flag, segment};
use crate::in_segment;

#[test]
fn a_flag_that_does_not_compile_is_left_out_with_a_warning_and_the_rest_are_served() {
    let broken = bool_flag(
        "broken",
        json!([{ "segment": "nope", "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let fine = bool_flag("fine", json!([]), json!({ "variant": "on" }));
    let compiled = compile(ENV, 3, [&broken, &fine], &builtin_segments());
    assert_eq!(compiled.snapshot.revision(), 3);
    assert_eq!(compiled.snapshot.flag_keys().collect::<Vec<_>>(), ["fine"]);
    let fields: Vec<&str> = compiled.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["flags.broken.rules[0].segment"]);
}

#[test]
fn a_segment_that_does_not_compile_is_left_out_and_so_are_the_flags_using_it() {
    let bad = segment(json!({ "key": "bad", "rules": [ { "conditions": [
        { "attribute": "email", "op": "matches", "values": ["(unclosed"] } ] } ] }));
    let user = bool_flag(
        "user",
        json!([{ "segment": "bad", "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let compiled = compile(ENV, 1, [&user], [&bad]);
    assert!(compiled.snapshot.is_empty());
    let fields: Vec<&str> = compiled.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "segments.bad.rules[0].conditions[0].values[0]",
            "flags.user.rules[0].segment"
        ]
    );
}

#[test]
fn a_flag_with_more_variants_than_allowed_is_left_out() {
    let variants: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("v{i:03}"), json!(i))).collect();
    let many = flag(json!({
        "key": "many",
        "variants": variants,
        "environments": { ENV: { "enabled": true, "off_variant": "v000", "default": { "variant": "v100" } } }
    }));
    let compiled = compile(ENV, 1, [&many], &builtin_segments());
    assert!(compiled.snapshot.is_empty());
    assert_eq!(compiled.warnings[0].field, "flags.many.variants");
    assert!(
        compiled.warnings[0]
            .message
            .contains("at most 100 variants, got 101")
    );
}

#[test]
fn flags_and_segments_sharing_a_regular_expression_each_match_with_it() {
    let pattern = json!([{ "attribute": "email", "op": "matches", "values": ["@example\\.com$"] }]);
    let staff = segment(json!({ "key": "staff", "rules": [ { "conditions": pattern } ] }));
    let by_segment = bool_flag(
        "by-segment",
        json!([{ "segment": "staff", "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let by_rule = bool_flag(
        "by-rule",
        json!([{ "conditions": pattern, "serve": { "variant": "on" } }]),
        json!({ "variant": "off" }),
    );
    let snapshot = compile_with(&[by_segment, by_rule], &[staff]);
    for flag in ["by-segment", "by-rule"] {
        assert!(
            in_segment(&snapshot, flag, json!({ "email": "jan@example.com" })),
            "{flag}"
        );
        assert!(
            !in_segment(&snapshot, flag, json!({ "email": "jan@example.org" })),
            "{flag}"
        );
    }
}
