//! A flag document from bytes, as the admin API takes it: parsed with the model's
//! parser, validated against a catalog naming its own environments and the built-in
//! segments, compiled into each of its environments' snapshots (valid or not: compiling
//! leaves out what does not compile, it must never panic), and evaluated for contexts
//! built from its own conditions.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_core::compile;
use rollgate_core::model::Flag;
use rollgate_core::validate::{Catalog, parse, validate_flag};
use rollgate_fuzz::{builtin_segments, exercise, flag_contexts};

fuzz_target!(|data: &[u8]| {
    let Ok(flag) = parse::<Flag>(data) else {
        return;
    };
    let segments = builtin_segments();
    let catalog = Catalog {
        environments: flag.environments.keys().cloned().collect(),
        segments: segments.iter().map(|s| s.key.clone()).collect(),
    };
    let errors = validate_flag(&flag, &catalog);
    let contexts = flag_contexts(&flag);
    for environment in flag.environments.keys() {
        let compiled = compile(environment, 1, [&flag], &segments);
        if errors.is_empty() {
            // A valid flag always compiles: validation *is* compilation.
            assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
            assert_eq!(compiled.snapshot.len(), 1);
        }
        exercise(&compiled.snapshot, &contexts);
    }
});
