//! Plan validation: the §6 example passes; each mistake is named by its field path.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use serde_json::{Value, json};
use time::macros::datetime;

use super::*;
use crate::release::testing::{TestCatalog, example_json};
use crate::validate::{ParseError, parse};

fn before_schedule() -> Option<OffsetDateTime> {
    Some(datetime!(2026-11-01 00:00 UTC))
}

/// Validates the example with `edit` applied; returns the error fields and messages.
fn problems(edit: impl FnOnce(&mut Value)) -> Vec<(String, String)> {
    let mut doc = example_json();
    edit(&mut doc);
    let plan: ReleasePlan = match parse(doc.to_string().as_bytes()) {
        Ok(plan) => plan,
        Err(error) => {
            return error
                .errors()
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect();
        }
    };
    validate_plan(&plan, &TestCatalog::new(), before_schedule())
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

fn field_of(edit: impl FnOnce(&mut Value)) -> (String, String) {
    let found = problems(edit);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one problem, got {found:?}"
    );
    found.into_iter().next().unwrap()
}

#[test]
fn the_product_example_is_valid() {
    assert_eq!(problems(|_| {}), Vec::<(String, String)>::new());
}

#[test]
fn unknown_fields_and_bad_units_are_named_at_parse_time() {
    let (field, message) = field_of(|d| d["stages"][2]["precent"] = json!(5));
    assert_eq!(field, "stages[2].precent");
    assert!(message.contains("unknown field"), "{message}");
    let (field, _) = field_of(|d| d["stages"][1]["bake"] = json!("30 minutes"));
    assert_eq!(field, "stages[1].bake");
    let (field, message) = field_of(|d| d["stages"][3]["percent"] = json!(150));
    assert_eq!(field, "stages[3].percent");
    assert!(message.contains("0 to 100"), "{message}");
    let (field, _) = field_of(|d| d["analysis"]["interval"] = json!("0s"));
    assert_eq!(field, "analysis.interval");
    let Err(ParseError::Invalid(errors)) = parse::<ReleasePlan>(br#"{"name": "x"}"#) else {
        panic!("missing fields must be refused");
    };
    assert!(errors[0].message.contains("missing field"), "{errors:?}");
}

#[test]
fn a_stage_on_an_unknown_audience_is_refused() {
    let (field, message) = field_of(|d| d["stages"][1]["audience"] = json!("gamma"));
    assert_eq!(field, "stages[1].audience");
    assert!(message.contains("unknown audience \"gamma\""), "{message}");
}

#[test]
fn percentages_never_go_down_within_a_ring() {
    let (field, message) = field_of(|d| d["stages"][4]["percent"] = json!(5));
    assert_eq!(field, "stages[4].percent");
    assert!(message.contains("goes down from 10 % to 5 %"), "{message}");
}

#[test]
fn a_stage_at_zero_percent_is_refused() {
    let (field, _) = field_of(|d| d["stages"][2]["percent"] = json!(0));
    assert_eq!(field, "stages[2].percent");
}

#[test]
fn a_ring_must_be_complete_before_the_next_opens() {
    let (field, message) = field_of(|d| d["stages"][0]["percent"] = json!(50));
    assert_eq!(field, "stages[0].percent");
    assert!(message.contains("reach 100 %"), "{message}");
}

#[test]
fn rings_open_in_order_and_once() {
    let found = problems(|d| {
        d["stages"][0]["audience"] = json!("beta");
        d["stages"][1]["audience"] = json!("alpha");
    });
    assert!(
        found
            .iter()
            .any(|(f, m)| f == "stages[1].audience" && m.contains("order alpha, beta, general")),
        "{found:?}"
    );
    let found = problems(|d| {
        d["stages"] = json!([
            { "audience": "alpha", "percent": 100 },
            { "audience": "beta", "percent": 100 },
            { "audience": "alpha", "percent": 100 },
            { "audience": "general", "percent": 100 }
        ]);
    });
    assert!(
        found
            .iter()
            .any(|(f, m)| f == "stages[2].audience" && m.contains("already opened at stages[0]")),
        "{found:?}"
    );
}

#[test]
fn the_last_stage_releases_to_everyone() {
    let (field, message) = field_of(|d| {
        d["stages"] = json!([{ "audience": "alpha", "percent": 100 }, { "audience": "beta", "percent": 100 }]);
    });
    assert_eq!(field, "stages[1]");
    assert!(message.contains("general at 100 %"), "{message}");
}

#[test]
fn custom_segments_can_be_audiences() {
    let found = problems(|d| {
        d["stages"] = json!([
            { "audience": "alpha", "percent": 100 },
            { "audience": "nl-customers", "percent": 20 },
            { "audience": "nl-customers", "percent": 100 },
            { "audience": "general", "percent": 100 }
        ]);
    });
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn strategies_constrain_stages() {
    let found = problems(|d| d["strategy"] = json!("blue_green"));
    let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "stages[2].percent",
            "stages[3].percent",
            "stages[4].percent"
        ]
    );
    assert!(found[0].1.contains("blue_green"), "{found:?}");
    let (field, message) = field_of(|d| {
        d["strategy"] = json!("ramped");
        d["stages"][3].as_object_mut().unwrap().remove("bake");
    });
    assert_eq!(field, "stages[3].bake");
    assert!(message.contains("ramped"), "{message}");
}

#[test]
fn a_start_time_in_the_past_is_refused_only_when_checked() {
    let mut doc = example_json();
    doc["schedule"]["start_at"] = json!("2026-10-01T00:00:00Z");
    let plan: ReleasePlan = serde_json::from_value(doc).unwrap();
    let errors = validate_plan(&plan, &TestCatalog::new(), before_schedule());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "schedule.start_at");
    assert!(errors[0].message.contains("in the past"), "{}", errors[0]);
    assert!(validate_plan(&plan, &TestCatalog::new(), None).is_empty());
}

#[test]
fn released_flags_must_exist_with_their_variant_and_differ_from_control() {
    let (field, message) = field_of(|d| d["flags"][0]["key"] = json!("nope"));
    assert_eq!(field, "flags[0].key");
    assert!(message.contains("unknown flag"), "{message}");
    let (field, message) = field_of(|d| d["flags"][0]["variant"] = json!("maybe"));
    assert_eq!(field, "flags[0].variant");
    assert!(message.contains("unknown variant"), "{message}");
    let (field, message) = field_of(|d| d["flags"][0]["variant"] = json!("off"));
    assert_eq!(field, "flags[0].variant");
    assert!(message.contains("control variant"), "{message}");
    let (field, message) = field_of(|d| {
        d["flags"] = json!([{ "key": "new-checkout", "variant": "on" }, { "key": "new-checkout", "variant": "on" }]);
    });
    assert_eq!(field, "flags[1].key");
    assert!(message.contains("twice"), "{message}");
    let (field, message) = field_of(|d| {
        d["flags"] = json!([{ "key": "new-checkout", "variant": "on" }, { "key": "by-account", "variant": "on" }]);
    });
    assert_eq!(field, "flags[1].key");
    assert!(message.contains("stickiness"), "{message}");
    let (field, _) = field_of(|d| d["environment"] = json!("staging"));
    assert_eq!(field, "environment");
}

#[test]
fn analysis_is_checked_field_by_field() {
    let (field, message) = field_of(|d| {
        d["analysis"]["checks"][0]
            .as_object_mut()
            .unwrap()
            .remove("total");
    });
    assert_eq!(field, "analysis.checks[0].total");
    assert!(message.contains("needs `total`"), "{message}");
    let (field, message) = field_of(|d| {
        d["analysis"]["checks"][1]["query"] = json!("up{job=\"{{service}}\"}");
    });
    assert_eq!(field, "analysis.checks[1].query");
    assert!(
        message.contains("unknown placeholder {{service}}"),
        "{message}"
    );
    let (field, _) = field_of(|d| d["analysis"]["alpha"] = json!(0));
    assert_eq!(field, "analysis.alpha");
    let (field, _) = field_of(|d| d["analysis"]["checks"][1]["name"] = json!("error-rate"));
    assert_eq!(field, "analysis.checks[1].name");
    let (field, _) = field_of(|d| d["analysis"]["checks"][0]["max"] = json!(2));
    assert_eq!(field, "analysis.checks[0].max");
    let (field, _) = field_of(|d| d["analysis"]["max_stage_duration"] = json!("30s"));
    assert_eq!(field, "analysis.max_stage_duration");
    let (field, _) = field_of(|d| d["analysis"]["on_no_data"] = json!("panic"));
    assert_eq!(field, "analysis.on_no_data");
    let (field, _) = field_of(|d| d["analysis"]["prometheus_url"] = json!("localhost:9090"));
    assert_eq!(field, "analysis.prometheus_url");
}

#[test]
fn analysis_may_be_left_out() {
    let found = problems(|d| {
        d.as_object_mut().unwrap().remove("analysis");
    });
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn kpis_schedule_and_readiness_are_checked() {
    let (field, _) = field_of(|d| d["kpis"][0]["target"] = json!({}));
    assert_eq!(field, "kpis[0].target");
    let (field, _) = field_of(|d| {
        d["schedule"]["maintenance_windows"][0]["end"] = json!("2026-12-05T21:00:00Z");
    });
    assert_eq!(field, "schedule.maintenance_windows[0].end");
    let (field, _) = field_of(|d| d["checklist"][0]["item"] = json!(" "));
    assert_eq!(field, "checklist[0].item");
    let (field, _) = field_of(|d| d["risks"][0]["likelihood"] = json!("certain"));
    assert_eq!(field, "risks[0].likelihood");
    let (field, _) = field_of(|d| d["release_version"] = json!("v2"));
    assert_eq!(field, "release_version");
    let (field, _) = field_of(|d| d["approvals_required"] = json!(11));
    assert_eq!(field, "approvals_required");
}

#[test]
fn templates_only_take_known_placeholders() {
    assert!(check_template("rate(x{flag=\"{{ flag }}\"}[{{window}}])").is_ok());
    assert!(check_template("{{release}}{{variant}}").is_ok());
    assert!(
        check_template("x{{flag")
            .unwrap_err()
            .contains("without its")
    );
    assert!(check_template("  ").is_err());
}
