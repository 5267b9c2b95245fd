//! An OFREP evaluation request body from bytes (`{ "context": { … } }`), read by the
//! very function the server's OFREP handlers use (`rollgate_core::ofrep::request_context`:
//! blank is no context, `context` may be absent or null, anything but an object is
//! refused), then evaluated against a fixed catalog that uses every operator, segments,
//! rollouts, a custom stickiness attribute and a shadow serve: flag by flag and in bulk.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rollgate_core::ofrep::request_context;
use rollgate_core::{Snapshot, compile};
use rollgate_fuzz::{builtin_segments, exercise, fixture_flags};

fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let flags = fixture_flags();
        let segments = builtin_segments();
        let compiled = compile("production", 1, &flags, &segments);
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        assert_eq!(compiled.snapshot.len(), 21, "every fixture flag compiles");
        compiled.snapshot
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(context) = request_context(data) {
        exercise(snapshot(), &[context]);
    }
});
