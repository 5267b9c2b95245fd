#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use serde_json::json;

use super::*;

fn template(extra: serde_json::Value) -> Result<Template, serde_json::Error> {
    let mut doc = json!({
        "name": "standard-launch",
        "description": "Our launch process",
        "stages": [ { "audience": "beta", "percent": 100 }, { "audience": "general", "percent": 100 } ],
        "tasks": [ { "title": "Train the help desk", "area": "training", "owner": "support-lead" } ]
    });
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    serde_json::from_value(doc)
}

#[test]
fn a_request_field_replaces_the_template_field_whole() {
    let template = template(json!({ "notes": "from the template" })).unwrap();
    let request = json!({ "name": "Checkout", "notes": "mine",
                          "stages": [ { "audience": "general", "percent": 10 } ] });
    let filled = template.fill(request.as_object().unwrap().clone());
    assert_eq!(filled["notes"], "mine");
    assert_eq!(filled["stages"].as_array().unwrap().len(), 1);
    assert_eq!(filled["tasks"][0]["title"], "Train the help desk");
    assert_eq!(filled["name"], "Checkout");
    assert!(!filled.contains_key("description"));
}

#[test]
fn a_template_holds_no_release_field_and_no_unknown_one() {
    for field in RELEASE_FIELDS
        .into_iter()
        .filter(|f| *f != "name")
        .chain(["colour"])
    {
        let error = template(json!({ field: "x" })).unwrap_err().to_string();
        assert!(error.contains(field), "{field}: {error}");
    }
}

#[test]
fn a_template_is_checked_in_itself() {
    assert!(check_template(&template(json!({})).unwrap()).is_empty());
    let bare: Template = serde_json::from_value(json!({ "name": "bare" })).unwrap();
    assert!(
        check_template(&bare).is_empty(),
        "a template may leave the stages out"
    );
    let mut bad = template(json!({ "watch": { "duration": "1d" } })).unwrap();
    bad.name = "no spaces allowed".to_owned();
    bad.tasks[0].due = Some(time::macros::datetime!(2030-01-01 0:00 UTC));
    let fields: Vec<String> = check_template(&bad).into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["name", "tasks[0].due", "watch"]);
}
