//! A flagd flag-definition file from bytes: imported into `production` (keys that exist
//! conflicting, then replaced), and what imports must compile without a warning,
//! evaluate for contexts built from its own conditions, export back to flagd and import
//! again into the very same evaluations.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_core::flagd::{Documents, ImportOptions, Imported, export, import};
use rollgate_core::model::{Flag, Segment};
use rollgate_core::{Snapshot, compile, evaluate};
use rollgate_fuzz::{builtin_segments, exercise, flag_contexts};
use serde_json::json;

const ENV: &str = "production";

fn catalog() -> Documents {
    let existing: Option<Flag> = serde_json::from_value(json!({
        "key": "existing", "variants": { "on": true, "off": false },
        "environments": { "development": { "off_variant": "off", "default": { "variant": "on" } } }
    }))
    .ok();
    Documents {
        environments: vec!["development".to_owned(), ENV.to_owned()],
        flags: existing.into_iter().collect(),
        segments: builtin_segments(),
    }
}

fn snapshot(imported: &Imported) -> (Vec<Flag>, Vec<Segment>, Snapshot) {
    let flags: Vec<Flag> = imported.flags.iter().map(|f| f.document.clone()).collect();
    let segments: Vec<Segment> = imported.segments.iter().map(|s| s.document.clone()).collect();
    let compiled = compile(ENV, 1, &flags, &segments);
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    (flags, segments, compiled.snapshot)
}

fuzz_target!(|data: &[u8]| {
    let catalog = catalog();
    for replace in [false, true] {
        let Ok(imported) = import(data, ENV, &catalog, ImportOptions { replace }) else {
            continue;
        };
        let (flags, segments, first) = snapshot(&imported);
        let contexts: Vec<_> = flags.iter().flat_map(flag_contexts).take(96).collect();
        exercise(&first, &contexts);
        // The way back, and in again: the same answers.
        let exported = export(&flags, &segments, ENV);
        let bytes = exported.document.to_string();
        let fresh = Documents::with_environments([ENV]);
        let again = import(bytes.as_bytes(), ENV, &fresh, ImportOptions::default());
        let again = again.unwrap_or_else(|problems| panic!("{problems:?}\n{bytes}"));
        let (_, _, second) = snapshot(&again);
        for key in second.flag_keys() {
            for context in &contexts {
                let (a, b) = (evaluate(&first, key, context), evaluate(&second, key, context));
                assert_eq!((a.variant, a.error), (b.variant, b.error), "{key} {context:?}\n{bytes}");
            }
        }
    }
});
