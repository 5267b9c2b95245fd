//! The sync messages against the server's real output: `stream.txt` is an SDK stream as
//! the server sent it (the demo data's `ruleset` event, then `change` events for a flag
//! changed, a flag deleted, a segment changed — with quotes and non-ASCII text — a
//! segment created and one deleted, then a release's stages and a percentage set from
//! the command line, salted and rolled out). Every message parses into the model and
//! serializes back byte for byte, and the server's way of writing them (from documents
//! serialized one by one) gives the same bytes. Generated messages round-trip too.

#![allow(clippy::unwrap_used, reason = "tests")]

use proptest::prelude::*;
use rollgate_core::model::{Flag, Segment};
use rollgate_core::protocol::exposure::Report;
use rollgate_core::protocol::{Change, Ruleset, Serialized};
use serde_json::json;

/// The `(event, data)` of every event of the captured stream.
fn events() -> Vec<(String, String)> {
    let stream = include_str!("stream.txt");
    stream
        .split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
                    .map(str::to_owned)
            };
            Some((field("event")?, field("data")?))
        })
        .collect()
}

fn frames(name: &str) -> Vec<String> {
    events()
        .into_iter()
        .filter(|(event, _)| event == name)
        .map(|(_, data)| data)
        .collect()
}

fn serialized<T: serde::Serialize>(documents: &[T]) -> Vec<Serialized<Vec<u8>>> {
    documents
        .iter()
        .map(|d| Serialized(serde_json::to_vec(d).unwrap()))
        .collect()
}

/// The ruleset as the server writes it: from its documents, each serialized alone.
fn written_ruleset(ruleset: &Ruleset) -> Vec<u8> {
    let (json, spans) = Ruleset {
        environment: ruleset.environment.clone(),
        revision: ruleset.revision,
        flags: serialized(&ruleset.flags),
        segments: serialized(&ruleset.segments),
    }
    .to_json();
    let documents = serialized(&ruleset.flags)
        .into_iter()
        .chain(serialized(&ruleset.segments));
    for (span, Serialized(document)) in spans.iter().zip(documents) {
        assert_eq!(
            json[span.clone()],
            document[..],
            "a span points at its document"
        );
    }
    json
}

/// The change as the server writes it.
fn written_change(change: &Change) -> Vec<u8> {
    Change {
        revision: change.revision,
        flags: serialized(&change.flags),
        deleted_flags: change.deleted_flags.clone(),
        segments: serialized(&change.segments),
        deleted_segments: change.deleted_segments.clone(),
    }
    .to_json()
}

#[test]
fn the_servers_ruleset_parses_and_serializes_back_byte_for_byte() {
    let frames = frames("ruleset");
    assert_eq!(frames.len(), 1);
    let ruleset: Ruleset = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(ruleset.environment, "production");
    assert_eq!(ruleset.flags.len(), 7);
    assert_eq!(serde_json::to_string(&ruleset).unwrap(), frames[0]);
    assert_eq!(
        String::from_utf8(written_ruleset(&ruleset)).unwrap(),
        frames[0]
    );
}

#[test]
fn the_servers_changes_parse_and_serialize_back_byte_for_byte() {
    let frames = frames("change");
    assert_eq!(frames.len(), 10);
    let changes: Vec<Change> = frames
        .iter()
        .map(|frame| serde_json::from_str(frame).unwrap())
        .collect();
    assert_eq!(changes[0].flags[0].key, "new-checkout");
    assert_eq!(changes[1].deleted_flags, ["maintenance-mode"]);
    assert!(
        changes[2].segments[0]
            .description
            .contains("Ünïcödé \"quoted\"")
    );
    assert_eq!(changes[4].deleted_segments, ["vip"]);
    let salt = |change: &Change| change.flags[0].environments["production"].salt.clone();
    assert_eq!(salt(&changes[6]).as_deref(), Some("rel-zgq3trwf6w6r"));
    for (change, frame) in changes.iter().zip(&frames) {
        assert!(!change.is_empty());
        assert_eq!(&serde_json::to_string(change).unwrap(), frame);
        assert_eq!(&String::from_utf8(written_change(change)).unwrap(), frame);
    }
}

#[test]
fn a_change_may_leave_out_what_it_does_not_change() {
    let change: Change = serde_json::from_str(r#"{"revision":5,"deleted_flags":["a"]}"#).unwrap();
    assert_eq!(change.deleted_flags, ["a"]);
    assert!(change.flags.is_empty() && change.segments.is_empty());
    assert!(Change::<Flag, Segment>::new(5).is_empty());
}

#[test]
fn the_documented_exposure_report_parses_and_serializes_back_byte_for_byte() {
    let report = r#"{"exposures":[{"flag":"new-checkout","variant":"on","reason":"SPLIT","count":12},{"reason":"ERROR","error_code":"FLAG_NOT_FOUND","count":1}]}"#;
    let parsed: Report = serde_json::from_str(report).unwrap();
    assert_eq!(parsed.outcomes().map(|o| o.len()), Ok(2));
    assert_eq!(serde_json::to_string(&parsed).unwrap(), report);
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}",
        Just("quote \" backslash \\ tab \t".to_owned()),
        Just("Ünïcödé ✓".to_owned()),
    ]
}

fn flag() -> impl Strategy<Value = Flag> {
    (text(), text(), any::<bool>(), 0u32..=10_000, proptest::option::of(text())).prop_map(
        |(key, description, enabled, weight, salt)| {
            serde_json::from_value(json!({
                "key": key, "description": description,
                "variants": { "on": { "n": weight, "s": description }, "off": null },
                "tags": [description],
                "environments": { "production": {
                    "enabled": enabled, "off_variant": "off", "salt": salt,
                    "rules": [ { "segment": "beta", "serve": { "variant": "on" } } ],
                    "default": { "rollout": [ { "variant": "on", "weight": weight },
                                              { "variant": "off", "weight": 10_000 - weight } ] } } }
            }))
            .unwrap()
        },
    )
}

fn segment() -> impl Strategy<Value = Segment> {
    (text(), proptest::collection::vec(text(), 0..3)).prop_map(|(key, include)| {
        serde_json::from_value(json!({ "key": key, "include": include })).unwrap()
    })
}

proptest! {
    #[test]
    fn generated_messages_round_trip_and_the_servers_writing_matches_serde(
        flags in proptest::collection::vec(flag(), 0..4),
        segments in proptest::collection::vec(segment(), 0..3),
        deleted in proptest::collection::vec(text(), 0..3),
        revision in any::<u64>(),
        environment in text(),
    ) {
        let ruleset = Ruleset { environment, revision, flags: flags.clone(), segments: segments.clone() };
        let json = serde_json::to_vec(&ruleset).unwrap();
        prop_assert_eq!(&written_ruleset(&ruleset), &json);
        prop_assert_eq!(serde_json::from_slice::<Ruleset>(&json).unwrap(), ruleset);
        let change = Change {
            revision,
            flags,
            deleted_flags: deleted.clone(),
            segments,
            deleted_segments: deleted,
        };
        let json = serde_json::to_vec(&change).unwrap();
        prop_assert_eq!(&written_change(&change), &json);
        prop_assert_eq!(serde_json::from_slice::<Change>(&json).unwrap(), change);
    }
}
