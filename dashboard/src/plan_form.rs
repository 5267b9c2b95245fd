//! The plan editor as a form, beside the JSON one: the plan's parts (what ships, the
//! stages, the analysis checks, KPIs, schedule, checklist, risks, announcement) as
//! fields named by their JSON path, so each error the services return by path is shown
//! on its field. Every list gets its rows plus [`SPARE`] blank ones to add to; a row
//! left blank is dropped when the form is sent.

use std::collections::BTreeMap;

use askama::Template;

use crate::layout::{FieldMessage, Layout, Section};

/// Blank rows offered after each list's rows.
pub const SPARE: usize = 2;

/// How a field is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Text,
    /// A number.
    Number,
    /// Several lines.
    Long,
    /// A tick box.
    Tick,
    /// One of a few words.
    Choice(&'static [&'static str]),
}

/// One field of the form.
#[derive(Clone, Debug)]
pub struct Field {
    /// Its JSON path, the form field's name.
    pub path: String,
    /// Its element id.
    pub id: String,
    /// What the label says.
    pub label: &'static str,
    /// Its value, as typed or stored.
    pub value: String,
    /// How it is typed.
    pub kind: Kind,
    /// What is wrong with it.
    pub errors: Vec<String>,
}

impl Field {
    /// Is it a tick box that is ticked?
    pub fn ticked(&self) -> bool {
        self.kind == Kind::Tick && self.value == "true"
    }

    /// Is it a tick box?
    pub fn is_tick(&self) -> bool {
        self.kind == Kind::Tick
    }

    /// Several lines?
    pub fn is_long(&self) -> bool {
        self.kind == Kind::Long
    }

    /// Is it a number?
    pub fn is_number(&self) -> bool {
        self.kind == Kind::Number
    }

    /// Is `choice` its value?
    pub fn is(&self, choice: &str) -> bool {
        self.value == choice
    }

    /// The words it may be, when it is a choice.
    pub fn choices(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Choice(words) => words,
            _ => &[],
        }
    }
}

/// One row of a list, or the fields of a part.
#[derive(Clone, Debug)]
pub struct Group {
    /// Its caption ("Stage 2").
    pub legend: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// Errors on the row as a whole (`stages[1]`).
    pub errors: Vec<String>,
}

/// One part of the plan.
#[derive(Clone, Debug)]
pub struct Part {
    /// Its heading.
    pub title: &'static str,
    /// Its element id.
    pub id: &'static str,
    /// Its rows (a list) or its one group of fields.
    pub groups: Vec<Group>,
    /// Errors on the part as a whole (`stages`: "at least one stage").
    pub errors: Vec<String>,
}

/// A part of the form: a list at `path` (rows of `fields`), or the fields at `path`.
struct Spec {
    title: &'static str,
    id: &'static str,
    path: &'static str,
    row: Option<&'static str>,
    fields: &'static [(&'static str, &'static str, Kind)],
}

const LEVELS: &[&str] = &["", "low", "medium", "high"];
const CHECK_KINDS: &[&str] = &["", "ratio", "value"];
const STRATEGIES: &[&str] = &["", "canary", "ramped", "blue_green", "shadow"];

const SPECS: &[Spec] = &[
    Spec {
        title: "The release",
        id: "part-release",
        path: "",
        row: None,
        fields: &[
            ("name", "Name", Kind::Text),
            ("release_version", "Version it ships", Kind::Text),
            ("environment", "Environment", Kind::Text),
            ("strategy", "Strategy", Kind::Choice(STRATEGIES)),
            ("approvals_required", "Approvals required", Kind::Number),
            ("notes", "Notes", Kind::Long),
        ],
    },
    Spec {
        title: "Flags",
        id: "part-flags",
        path: "flags",
        row: Some("Flag"),
        fields: &[
            ("key", "Flag key", Kind::Text),
            ("variant", "Variant released", Kind::Text),
        ],
    },
    Spec {
        title: "Stages",
        id: "part-stages",
        path: "stages",
        row: Some("Stage"),
        fields: &[
            ("audience", "Audience (segment)", Kind::Text),
            ("percent", "Percent", Kind::Number),
            ("bake", "Bake time (e.g. 15m)", Kind::Text),
        ],
    },
    Spec {
        title: "Analysis",
        id: "part-analysis",
        path: "analysis",
        row: None,
        fields: &[
            ("prometheus_url", "Prometheus URL", Kind::Text),
            ("interval", "Interval (e.g. 1m)", Kind::Text),
            ("min_samples", "Fewest samples", Kind::Number),
        ],
    },
    Spec {
        title: "Analysis checks",
        id: "part-checks",
        path: "analysis.checks",
        row: Some("Check"),
        fields: &[
            ("name", "Name", Kind::Text),
            ("kind", "Kind", Kind::Choice(CHECK_KINDS)),
            ("critical", "Critical (rolls back)", Kind::Tick),
            ("errors", "Errors (PromQL, ratio)", Kind::Long),
            ("total", "Total (PromQL, ratio)", Kind::Long),
            ("query", "Query (PromQL, value)", Kind::Long),
            ("max", "Upper bound", Kind::Number),
            ("min", "Lower bound", Kind::Number),
        ],
    },
    Spec {
        title: "KPIs",
        id: "part-kpis",
        path: "kpis",
        row: Some("KPI"),
        fields: &[
            ("name", "Name", Kind::Text),
            ("query", "Query (PromQL)", Kind::Long),
            ("target.min", "Target at least", Kind::Number),
            ("target.max", "Target at most", Kind::Number),
        ],
    },
    Spec {
        title: "Schedule",
        id: "part-schedule",
        path: "schedule",
        row: None,
        fields: &[
            ("announce_at", "Announce at (RFC 3339)", Kind::Text),
            ("start_at", "Start at (RFC 3339)", Kind::Text),
        ],
    },
    Spec {
        title: "Maintenance windows",
        id: "part-windows",
        path: "schedule.maintenance_windows",
        row: Some("Window"),
        fields: &[
            ("start", "From (RFC 3339)", Kind::Text),
            ("end", "Until (RFC 3339)", Kind::Text),
        ],
    },
    Spec {
        title: "Checklist",
        id: "part-checklist",
        path: "checklist",
        row: Some("Item"),
        fields: &[
            ("item", "What must be ready", Kind::Text),
            ("owner", "Owner", Kind::Text),
            ("done", "Done", Kind::Tick),
        ],
    },
    Spec {
        title: "Risks",
        id: "part-risks",
        path: "risks",
        row: Some("Risk"),
        fields: &[
            ("description", "What could go wrong", Kind::Text),
            ("likelihood", "Likelihood", Kind::Choice(LEVELS)),
            ("impact", "Impact", Kind::Choice(LEVELS)),
            ("mitigation", "Mitigation", Kind::Text),
        ],
    },
    Spec {
        title: "Announcement",
        id: "part-announcement",
        path: "announcement",
        row: None,
        fields: &[
            ("title", "Headline", Kind::Text),
            ("body", "What changes for users (Markdown)", Kind::Long),
        ],
    },
];

/// The plan editor's form.
#[derive(Template, Debug)]
#[template(path = "plan_form.html")]
pub struct PlanForm {
    /// The frame (its errors are the plan's, by the form's paths).
    pub layout: Layout,
    /// The release being edited; `None` for a new one.
    pub id: Option<String>,
    /// Its version, when editing.
    pub version: u64,
    /// The parts, with their fields filled.
    pub parts: Vec<Part>,
    /// Errors on no field the form shows.
    pub other_errors: Vec<FieldMessage>,
}

fn messages(errors: &[FieldMessage], path: &str, used: &mut [bool]) -> Vec<String> {
    errors
        .iter()
        .zip(used.iter_mut())
        .filter(|(e, _)| e.field == path)
        .map(|(e, used)| {
            *used = true;
            e.message.clone()
        })
        .collect()
}

/// How many rows list `path` has in `values`.
fn rows(values: &BTreeMap<String, String>, path: &str) -> usize {
    let prefix = format!("{path}[");
    values
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter_map(|(k, _)| k[prefix.len()..].split(']').next()?.parse::<usize>().ok())
        .max()
        .map_or(0, |last| last + 1)
}

impl PlanForm {
    /// The form with `values` (path → text) and `errors` (by the form's paths).
    pub fn new(
        layout: Layout,
        id: Option<String>,
        version: u64,
        values: &BTreeMap<String, String>,
    ) -> PlanForm {
        let errors = layout.errors.clone();
        let mut used = vec![false; errors.len()];
        let mut parts = Vec::new();
        for spec in SPECS {
            let join = |base: &str, name: &str| {
                if base.is_empty() {
                    name.to_owned()
                } else {
                    format!("{base}.{name}")
                }
            };
            let group = |base: String, legend: String, used: &mut Vec<bool>| Group {
                errors: if base.is_empty() {
                    Vec::new()
                } else {
                    messages(&errors, &base, used)
                },
                fields: spec
                    .fields
                    .iter()
                    .map(|(name, label, kind)| {
                        let path = join(&base, name);
                        Field {
                            id: format!("f-{}", path.replace(['.', '[', ']'], "-")),
                            value: values.get(&path).cloned().unwrap_or_default(),
                            errors: messages(&errors, &path, used),
                            path,
                            label,
                            kind: *kind,
                        }
                    })
                    .collect(),
                legend,
            };
            let groups = match spec.row {
                Some(row) => (0..rows(values, spec.path) + SPARE)
                    .map(|i| {
                        group(
                            format!("{}[{i}]", spec.path),
                            format!("{row} {}", i + 1),
                            &mut used,
                        )
                    })
                    .collect(),
                None => vec![group(spec.path.to_owned(), String::new(), &mut used)],
            };
            parts.push(Part {
                title: spec.title,
                id: spec.id,
                errors: if spec.path.is_empty() {
                    Vec::new()
                } else {
                    messages(&errors, spec.path, &mut used)
                },
                groups,
            });
        }
        let other_errors = errors
            .into_iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(e, _)| e)
            .collect();
        PlanForm {
            layout,
            id,
            version,
            parts,
            other_errors,
        }
    }
}
