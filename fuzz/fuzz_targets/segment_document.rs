//! A segment document from bytes: parsed, validated, compiled with a flag whose rule
//! uses it (valid or not), and evaluated for contexts built from its own conditions,
//! include and exclude lists.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_core::compile;
use rollgate_core::model::{Flag, Segment};
use rollgate_core::validate::{parse, validate_segment};
use rollgate_fuzz::{exercise, segment_contexts};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(segment) = parse::<Segment>(data) else {
        return;
    };
    let errors = validate_segment(&segment);
    let Ok(flag) = serde_json::from_value::<Flag>(json!({
        "key": "uses-segment",
        "variants": { "in": true, "out": false },
        "environments": { "production": {
            "enabled": true, "off_variant": "out",
            "rules": [ { "segment": segment.key, "serve": { "variant": "in" } } ],
            "default": { "variant": "out" } } }
    })) else {
        return;
    };
    let compiled = compile("production", 1, [&flag], [&segment]);
    if errors.is_empty() {
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    }
    exercise(&compiled.snapshot, &segment_contexts(&segment));
});
