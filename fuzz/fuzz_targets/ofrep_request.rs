//! An OFREP evaluation request body from bytes (`{ "context": { … } }`), read the way
//! the server's OFREP handlers read it (`server/src/http/ofrep/request.rs`, `read_context`:
//! blank is no context, `context` may be absent or null, anything but an object is
//! refused), then evaluated against a fixed catalog that uses every operator, segments,
//! rollouts, a custom stickiness attribute and a shadow serve: flag by flag and in bulk.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rollgate_core::{Context, Snapshot, compile};
use rollgate_fuzz::{builtin_segments, exercise, fixture_flags};
use serde_json::Value;

/// The body of an OFREP evaluation request; other fields are ignored, as the server does.
#[derive(serde::Deserialize)]
struct Request {
    #[serde(default)]
    context: Value,
}

fn context(body: &[u8]) -> Option<Context> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Context::new());
    }
    match serde_json::from_slice::<Request>(body).ok()?.context {
        Value::Object(map) => Some(Context::from(map)),
        Value::Null => Some(Context::new()),
        _ => None,
    }
}

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
    if let Some(context) = context(data) {
        exercise(snapshot(), &[context]);
    }
});
