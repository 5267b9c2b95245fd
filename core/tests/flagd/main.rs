//! The flagd import and export: flagd's published fractional vectors, realistic flagd
//! files evaluated by Rollgate and by a reference flagd evaluator over many contexts,
//! round trips, and bad input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on a broken fixture"
)]

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod equivalence;
mod fractional;
mod mapping;
mod reference;
mod roundtrip;
mod vectors;

use rollgate_core::flagd::{Documents, Finding, ImportOptions, Imported, import};
use rollgate_core::model::{Flag, Segment};
use rollgate_core::{Context, Snapshot, compile, evaluate};
use serde_json::{Map, Value};

/// The environment every import here goes into.
pub const ENV: &str = "production";

/// An empty catalog with the default environments.
pub fn empty_catalog() -> Documents {
    Documents::with_environments(["development", ENV])
}

/// Imports `file` into an empty catalog.
pub fn try_import(file: &Value) -> Result<Imported, Vec<Finding>> {
    import(
        file.to_string().as_bytes(),
        ENV,
        &empty_catalog(),
        ImportOptions::default(),
    )
}

/// Imports `file`, insisting that it imports.
pub fn imported(file: &Value) -> Imported {
    try_import(file).unwrap_or_else(|problems| {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("the file must import:\n{}", listed.join("\n"))
    })
}

/// The imported documents.
pub fn documents(imported: &Imported) -> (Vec<Flag>, Vec<Segment>) {
    (
        imported.flags.iter().map(|f| f.document.clone()).collect(),
        imported
            .segments
            .iter()
            .map(|s| s.document.clone())
            .collect(),
    )
}

/// The snapshot of `flags` and `segments` for [`ENV`], with no warning.
pub fn snapshot_of(flags: &[Flag], segments: &[Segment]) -> Snapshot {
    let compiled = compile(ENV, 1, flags, segments);
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    compiled.snapshot
}

/// What Rollgate serves for `key`: the variant, or the error code.
pub fn served(
    snapshot: &Snapshot,
    key: &str,
    attributes: &Map<String, Value>,
) -> Result<String, String> {
    let context = Context::from(attributes.clone());
    let evaluation = evaluate(snapshot, key, &context);
    match (evaluation.variant, evaluation.error) {
        (Some(variant), _) => Ok(variant.to_owned()),
        (None, error) => Err(format!("{error:?}")),
    }
}

/// A context from a JSON object.
pub fn context(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("a context is an object, got {other}"),
    }
}
