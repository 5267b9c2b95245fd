//! Release templates: a team's process written once — the standard tasks (training,
//! marketing, support…), stages, analysis, KPIs, the watch, who must sign off — named,
//! and used to create releases (docs/release-plan.md, "Templates").
//!
//! A template holds the parts of a plan that do not depend on what ships: never the
//! release's name, version, environment, flags, schedule or announcement. A release
//! created from it takes each of the template's fields, unless the request sets the
//! field itself, which then replaces it whole ([`Template::fill`]).

use serde::{Deserialize, Serialize};

use super::{
    Analysis, ChecklistItem, Kpi, Member, ReleasePlan, Resource, Risk, Stage, Strategy, Task, Watch,
};
use crate::validate::{FieldError, Lines, MAX_DESCRIPTION, key_field, text_field};

/// The plan fields a template never holds: each release sets them.
pub const RELEASE_FIELDS: [&str; 6] = [
    "name",
    "release_version",
    "environment",
    "flags",
    "schedule",
    "announcement",
];

/// A release template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Its name, a key (`standard-launch`).
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// How the stages are walked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// The audience stages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// The automatic analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
    /// Business KPIs and their targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kpis: Vec<Kpi>,
    /// The watch after the last stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<Watch>,
    /// Approvals needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_required: Option<u32>,
    /// The release group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<Member>,
    /// The functions that must sign off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signoffs_required: Vec<String>,
    /// Readiness items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<ChecklistItem>,
    /// The standard tasks (without due dates, which belong to each release).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// The resources a release of this kind needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Risks every such release carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<Risk>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

impl Template {
    /// The plan fields this template sets, as JSON (without `name` and `description`).
    pub fn plan_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        fields.remove("name");
        fields.remove("description");
        fields
    }

    /// A plan's fields from this template and a request's: each field the request sets
    /// replaces the template's whole (no merge inside a field).
    pub fn fill(
        &self,
        request: serde_json::Map<String, serde_json::Value>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = self.plan_fields();
        fields.extend(request);
        fields
    }
}

/// Field errors of a template in itself: its name, description, due dates (a template
/// has none), the watch, and its shape as part of a plan (checked by filling it with
/// placeholder release fields).
pub fn check_template(template: &Template) -> Vec<FieldError> {
    let mut errors = Vec::new();
    key_field(&mut errors, "name", &template.name);
    text_field(
        &mut errors,
        "description",
        &template.description,
        MAX_DESCRIPTION,
        Lines::Many,
    );
    for (index, task) in template.tasks.iter().enumerate() {
        if task.due.is_some() {
            errors.push(FieldError::new(
                format!("tasks[{index}].due"),
                "a template's tasks have no due date: each release sets its own",
            ));
        }
    }
    let mut plan = serde_json::Map::new();
    for (field, value) in [
        ("name", serde_json::json!("template")),
        ("release_version", serde_json::json!("0.0.0")),
        ("environment", serde_json::json!("template")),
        ("flags", serde_json::json!([])),
        ("stages", serde_json::json!([])),
    ] {
        plan.insert(field.to_owned(), value);
    }
    plan.extend(template.plan_fields());
    match serde_json::from_value::<ReleasePlan>(serde_json::Value::Object(plan)) {
        Ok(plan) => super::watch::check(&mut errors, &plan),
        Err(error) => errors.push(FieldError::new("", error.to_string())),
    }
    errors
}

#[cfg(test)]
mod tests;
