//! What the command line prints for people, pinned: releases (one line, table, in
//! full), every kind of timeline line, flags, and a start's preview, each from a
//! server answer in `testdata/` and compared with the text in `testdata/*.txt`; and the
//! configurations `flag set-percent` writes.

#![allow(clippy::unwrap_used, reason = "tests")]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{flag, preview, show, timeline};
use crate::service::WithVersion;
use crate::service::releases::{ActionRequest, ChecklistRequest, PercentRequest, Release};

/// A server answer from `testdata/`.
fn answer(name: &str) -> Value {
    let text = match name {
        "release" => include_str!("testdata/release.json"),
        "flags" => include_str!("testdata/flags.json"),
        "preview" => include_str!("testdata/preview.json"),
        _ => unreachable!("no such answer: {name}"),
    };
    serde_json::from_str(text).unwrap()
}

/// A request body as the CLI sends it.
fn body(request: &impl Serialize) -> Value {
    serde_json::to_value(request).unwrap()
}

/// An answer read as the CLI reads it.
fn read<T: DeserializeOwned>(answer: &Value) -> T {
    serde_json::from_value(answer.clone()).unwrap()
}

/// The release of `testdata/release.json` before its start: a draft with one event, no
/// approvals and no checklist.
fn draft() -> Value {
    let mut release = answer("release");
    release["id"] = json!("rel-draft0000001");
    release["state"] = json!("draft");
    release["current_stage"] = Value::Null;
    release["current_percent"] = json!(0);
    release["approvals"] = json!([]);
    release["checklist"] = json!([]);
    release["timeline"] = json!([release["timeline"][0].clone()]);
    release
}

/// The release of `testdata/release.json` running at its third stage's planned
/// percentage.
fn as_planned() -> Value {
    let mut release = answer("release");
    release["id"] = json!("rel-planned00001");
    release["state"] = json!("running");
    release["current_percent"] = json!(1);
    release
}

#[test]
fn a_release_in_full_numbers_stages_and_items_from_one() {
    let shown = show::release(&read(&answer("release")));
    assert_eq!(shown, include_str!("testdata/release.txt"));
}

#[test]
fn a_release_not_started_has_no_position_and_no_checklist_section() {
    let shown = show::release(&read(&draft()));
    assert_eq!(shown, include_str!("testdata/release-draft.txt"));
}

#[test]
fn a_release_table_shows_stage_and_applied_percentage() {
    let releases = json!([answer("release"), draft(), as_planned()]);
    let table = show::release_table(&read::<Vec<WithVersion<Release>>>(&releases));
    assert_eq!(table, include_str!("testdata/releases.txt"));
}

#[test]
fn every_kind_of_timeline_event_says_what_changed() {
    let release = answer("release");
    let lines: Vec<String> = release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| timeline::line(&read(&release), &read(event)))
        .collect();
    assert_eq!(
        lines.join("\n") + "\n",
        include_str!("testdata/timeline.txt")
    );
}

#[test]
fn flags_are_listed_and_shown_with_what_they_serve() {
    let flags = answer("flags");
    let mut shown = show::flag_table(&read::<Vec<_>>(&flags));
    for flag in flags.as_array().unwrap() {
        shown.push_str(&flag::describe(&read(flag)));
    }
    assert_eq!(shown, include_str!("testdata/flags.txt"));
}

#[test]
fn a_preview_shows_configurations_shares_preflight_and_warnings() {
    let shown = preview::render("rel-ukuspua0i7ux", &read(&answer("preview")));
    assert_eq!(shown, include_str!("testdata/preview.txt"));
}

#[test]
fn a_preview_with_nothing_to_warn_about_says_how_to_start() {
    let quiet = json!({
        "release": "rel-ukuspua0i7ux", "state": "approved", "ready": true,
        "flags": [], "warnings": []
    });
    let shown = preview::render("rel-ukuspua0i7ux", &read(&quiet));
    assert_eq!(
        shown,
        "rel-ukuspua0i7ux approved: ready to start\n\
         preflight: nothing to ask (no checks, no KPIs)\n\
         warnings: none\n\
         to start: rollgate release start rel-ukuspua0i7ux\n"
    );
}

#[test]
fn the_start_command_acknowledges_each_code_once() {
    let preview = answer("preview");
    let command = preview::start_command("rel-1", &read::<Vec<_>>(&preview["warnings"]));
    assert_eq!(
        command,
        "rollgate release start rel-1 --acknowledge exposure_decrease \
         --acknowledge disabled_flag_enabled --acknowledge preflight_failed"
    );
}

#[test]
fn set_percent_writes_the_default_serve_and_keeps_the_rest() {
    let flags = answer("flags");
    let flag = &flags[0];
    let written = |variant: Option<&str>, weight: u32| {
        serde_json::to_value(
            flag::rollout(
                &read::<WithVersion<_>>(flag).doc,
                "production",
                variant,
                weight,
            )
            .unwrap(),
        )
        .unwrap()
    };
    let with_default = |default: Value| {
        let mut config = flags[0]["environments"]["production"].clone();
        config["default"] = default;
        config
    };
    // By default the first variant by name that is not the control: `beta`.
    assert_eq!(
        written(None, 2500),
        with_default(json!({ "rollout": [
            { "variant": "beta", "weight": 2500 }, { "variant": "off", "weight": 7500 }
        ] }))
    );
    assert_eq!(
        written(Some("on"), 10_000),
        with_default(json!({ "variant": "on" }))
    );
    assert_eq!(
        written(Some("on"), 0),
        with_default(json!({ "variant": "off" }))
    );
    let missing = flag::rollout(&read::<WithVersion<_>>(flag).doc, "qa", None, 100).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "flag new-checkout has no configuration in qa"
    );
    let single = json!({ "key": "solo", "variants": { "off": false }, "environments": {
        "production": { "enabled": true, "off_variant": "off", "default": { "variant": "off" } }
    }, "version": 1 });
    let alone = flag::rollout(
        &read::<WithVersion<_>>(&single).doc,
        "production",
        None,
        100,
    )
    .unwrap_err();
    assert_eq!(
        alone.to_string(),
        "the flag has no variant besides its control"
    );
}

#[test]
fn action_bodies_carry_only_what_was_given() {
    assert_eq!(body(&ActionRequest::default()), json!({}));
    let start = ActionRequest {
        comment: Some("go".to_owned()),
        reason: None,
        acknowledge: Some(vec!["exposure_decrease".to_owned()]),
        function: None,
    };
    assert_eq!(
        body(&start),
        json!({ "comment": "go", "acknowledge": ["exposure_decrease"] })
    );
    let rollback = ActionRequest {
        reason: Some("errors".to_owned()),
        ..ActionRequest::default()
    };
    assert_eq!(body(&rollback), json!({ "reason": "errors" }));
    let percent = PercentRequest {
        percent: 12.5,
        comment: None,
    };
    assert_eq!(body(&percent), json!({ "percent": 12.5 }));
    let check = ChecklistRequest {
        done: false,
        comment: Some("later".to_owned()),
    };
    assert_eq!(body(&check), json!({ "done": false, "comment": "later" }));
}

#[test]
fn the_risk_log_and_the_incidents_list_status_owner_and_actions() {
    let release: Release = read(&answer("release"));
    let shown = super::log_items::risks(&release.risk_log)
        + &super::log_items::incidents(&release.incidents);
    assert_eq!(shown, include_str!("testdata/log.txt"));
    assert_eq!(super::log_items::risks(&[]), "no risks logged\n");
    assert_eq!(super::log_items::incidents(&[]), "no incidents\n");
}

#[test]
fn risk_and_incident_bodies_carry_only_what_was_given() {
    use crate::service::releases::{IncidentChange, RiskChange};
    let close = RiskChange {
        status: Some(rollgate_core::release::RiskStatus::Closed),
        reason: Some("passed".to_owned()),
        ..RiskChange::default()
    };
    assert_eq!(
        body(&close),
        json!({ "status": "closed", "reason": "passed" })
    );
    let act = IncidentChange {
        action: Some("paged".to_owned()),
        ..IncidentChange::default()
    };
    assert_eq!(body(&act), json!({ "action": "paged" }));
}
