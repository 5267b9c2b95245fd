//! The plan editor's form, to and from the plan's JSON: each field is named by its JSON
//! path (`stages[1].percent`, `analysis.checks[0].max`), so the errors the services
//! return — by JSON path — land next to the field that caused them.
//!
//! - [`flatten`] turns a plan into the form's values, path → text.
//! - [`build`] turns a sent form back into a plan: a blank field is left out (so the
//!   plan's default applies), a row left entirely blank is dropped, numbers and ticks
//!   get their JSON types (a number that does not parse stays text, for the service to
//!   name). Editing a stored plan starts from it, so what the form does not show
//!   (tasks, resources, the group, a check's finer settings…) is kept.
//! - [`Rows::form_path`] maps an error's path back to the form's rows when blank rows
//!   were dropped before it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Fields whose value is a JSON number.
const NUMBERS: [&str; 5] = ["percent", "approvals_required", "min_samples", "max", "min"];
/// Fields whose value is a tick box.
const TICKS: [&str; 2] = ["critical", "done"];
/// Text fields the plan requires: blank, they are sent as empty text (so the service
/// names them, or takes the empty text where it may be empty), not left out.
const REQUIRED: [&str; 11] = [
    "name",
    "release_version",
    "environment",
    "key",
    "variant",
    "audience",
    "item",
    "owner",
    "description",
    "mitigation",
    "title",
];
/// The form's own fields, not the plan's.
const NOT_PLAN: [&str; 2] = ["csrf", "version"];

/// One step of a path: a key, or a row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Row(usize),
}

/// The steps of a path such as `analysis.checks[0].max`; `None` when it is not one.
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return None;
        }
        out.push(Step::Key(key.to_owned()));
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            out.push(Step::Row(inner[..close].parse().ok()?));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// The form as a tree, before typing.
#[derive(Debug)]
enum Node {
    Text(String),
    Object(BTreeMap<String, Node>),
    Rows(BTreeMap<usize, Node>),
}

impl Node {
    fn insert(&mut self, steps: &[Step], value: &str) {
        let Some((first, rest)) = steps.split_first() else {
            *self = Node::Text(value.to_owned());
            return;
        };
        let child = match (first, &mut *self) {
            (Step::Key(key), Node::Object(map)) => map.entry(key.clone()),
            (Step::Row(row), Node::Rows(rows)) => {
                rows.entry(*row)
                    .or_insert_with(|| fresh(rest))
                    .insert(rest, value);
                return;
            }
            _ => return,
        };
        child.or_insert_with(|| fresh(rest)).insert(rest, value);
    }
}

/// An empty node of the shape `rest` needs.
fn fresh(rest: &[Step]) -> Node {
    match rest.first() {
        Some(Step::Row(_)) => Node::Rows(BTreeMap::new()),
        Some(Step::Key(_)) => Node::Object(BTreeMap::new()),
        None => Node::Text(String::new()),
    }
}

/// Which rows of each list were kept, by the list's path (`stages`,
/// `analysis.checks`): the form's row number of each row the plan got.
#[derive(Debug, Default)]
pub(super) struct Rows(BTreeMap<String, Vec<usize>>);

impl Rows {
    /// The form's path of the plan's `path` (`stages[1].percent` is the form's
    /// `stages[3].percent` when rows 1 and 2 were left blank).
    pub(super) fn form_path(&self, path: &str) -> String {
        let Some(open) = path.find('[') else {
            return path.to_owned();
        };
        let list = &path[..open];
        let Some(close) = path[open..].find(']').map(|c| open + c) else {
            return path.to_owned();
        };
        let kept = self.0.get(list);
        match (kept, path[open + 1..close].parse::<usize>()) {
            (Some(kept), Ok(row)) => match kept.get(row) {
                Some(form_row) => format!("{list}[{form_row}]{}", &path[close + 1..]),
                None => path.to_owned(),
            },
            _ => path.to_owned(),
        }
    }
}

/// `Null` stands for "left blank" while the plan is put together.
fn typed(node: Node, path: &str, key: &str, rows: &mut Rows) -> Value {
    match node {
        Node::Text(text) => {
            let text = text.trim();
            if TICKS.contains(&key) {
                return if text == "true" {
                    Value::Bool(true)
                } else {
                    Value::Null
                };
            }
            if text.is_empty() {
                return if REQUIRED.contains(&key) {
                    Value::String(String::new())
                } else {
                    Value::Null
                };
            }
            if NUMBERS.contains(&key) {
                if let Ok(whole) = text.parse::<i64>() {
                    return Value::from(whole);
                }
                if let Some(number) = text
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                {
                    return Value::Number(number);
                }
            }
            Value::String(text.to_owned())
        }
        Node::Object(map) => {
            let mut out = Map::new();
            for (name, child) in map {
                let child_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                out.insert(name.clone(), typed(child, &child_path, &name, rows));
            }
            if out.values().all(blank) {
                Value::Null
            } else {
                Value::Object(out)
            }
        }
        Node::Rows(list) => {
            let mut kept = Vec::new();
            let mut out = Vec::new();
            for (row, child) in list {
                let value = typed(child, &format!("{path}[{row}]"), key, rows);
                if !blank(&value) {
                    kept.push(row);
                    out.push(value);
                }
            }
            rows.0.insert(path.to_owned(), kept);
            Value::Array(out)
        }
    }
}

/// Left blank: nothing typed in it.
fn blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(rows) => rows.is_empty(),
        Value::Object(map) => map.values().all(blank),
        _ => false,
    }
}

/// Left out of the plan: a field left blank, or a part with nothing typed in it (an
/// empty list stays: it empties the list).
fn gone(value: &Value) -> bool {
    value.is_null() || (value.is_object() && blank(value))
}

/// `form` over `base`: what the form sets replaces, what it left blank goes, what it
/// does not show stays; row `n` of a list merges with row `kept[n]` of the base.
fn merge(form: Value, base: Option<&Value>, path: &str, rows: &Rows) -> Value {
    match (form, base) {
        (Value::Object(form), Some(Value::Object(base))) => {
            let mut out = base.clone();
            for (name, value) in form {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                if gone(&value) {
                    out.remove(&name);
                } else {
                    let merged = merge(value, base.get(&name), &child, rows);
                    out.insert(name, merged);
                }
            }
            Value::Object(out)
        }
        (Value::Array(form), Some(Value::Array(base))) => {
            let kept = rows.0.get(path);
            Value::Array(
                form.into_iter()
                    .enumerate()
                    .map(|(index, value)| {
                        let origin = kept.and_then(|k| k.get(index)).copied().unwrap_or(index);
                        merge(value, base.get(origin), &format!("{path}[{origin}]"), rows)
                    })
                    .collect(),
            )
        }
        (form, _) => strip(form),
    }
}

/// The value without its blanks.
fn strip(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !gone(v))
                .map(|(k, v)| (k, strip(v)))
                .collect(),
        ),
        Value::Array(rows) => Value::Array(rows.into_iter().map(strip).collect()),
        other => other,
    }
}

/// The plan a sent form makes, over `base` (the stored plan, when editing), and which
/// rows it kept.
pub(super) fn build<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    base: Option<&Value>,
) -> (Value, Rows) {
    let mut tree = Node::Object(BTreeMap::new());
    for (name, value) in fields {
        if NOT_PLAN.contains(&name) {
            continue;
        }
        if let Some(steps) = steps(name) {
            tree.insert(&steps, value);
        }
    }
    let mut rows = Rows::default();
    let form = match typed(tree, "", "", &mut rows) {
        Value::Null => Value::Object(Map::new()),
        form => form,
    };
    let empty = Value::Object(Map::new());
    let plan = merge(form, Some(base.unwrap_or(&empty)), "", &rows);
    (plan, rows)
}

/// The form's values of `plan`: every leaf by its path, numbers and ticks as text.
pub(super) fn flatten(plan: &Value) -> BTreeMap<String, String> {
    fn walk(value: &Value, path: String, out: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (name, child) in map {
                    let next = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    walk(child, next, out);
                }
            }
            Value::Array(rows) => {
                for (index, child) in rows.iter().enumerate() {
                    walk(child, format!("{path}[{index}]"), out);
                }
            }
            Value::String(text) => {
                out.insert(path, text.clone());
            }
            Value::Null => {}
            other => {
                out.insert(path, other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(plan, String::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::{build, flatten};

    fn form(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        pairs.to_vec()
    }

    #[test]
    fn fields_named_by_path_make_the_plan_with_its_types() {
        let (plan, _) = build(
            form(&[
                ("csrf", "x"),
                ("name", " Checkout v2 "),
                ("release_version", "2.4.0"),
                ("environment", "production"),
                ("approvals_required", "1"),
                ("stages[0].audience", "alpha"),
                ("stages[0].percent", "100"),
                ("stages[0].bake", ""),
                ("stages[1].audience", "general"),
                ("stages[1].percent", "12.5"),
                ("analysis.checks[0].name", "errors"),
                ("analysis.checks[0].critical", ""),
                ("analysis.checks[0].critical", "true"),
                ("analysis.checks[0].max", "0.05"),
                ("checklist[0].item", "Runbook"),
                ("checklist[0].done", ""),
                ("announcement.title", ""),
                ("announcement.body", ""),
            ]),
            None,
        );
        assert_eq!(
            plan,
            json!({
                "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
                "approvals_required": 1,
                "stages": [ { "audience": "alpha", "percent": 100 }, { "audience": "general", "percent": 12.5 } ],
                "analysis": { "checks": [ { "name": "errors", "critical": true, "max": 0.05 } ] },
                "checklist": [ { "item": "Runbook" } ]
            })
        );
    }

    #[test]
    fn a_blank_row_is_dropped_and_errors_after_it_find_their_row() {
        let (plan, rows) = build(
            form(&[
                ("stages[0].audience", "alpha"),
                ("stages[1].audience", ""),
                ("stages[1].percent", ""),
                ("stages[2].audience", "beta"),
                ("stages[2].percent", "x"),
            ]),
            None,
        );
        assert_eq!(
            plan["stages"],
            json!([ { "audience": "alpha" }, { "audience": "beta", "percent": "x" } ])
        );
        assert_eq!(rows.form_path("stages[1].percent"), "stages[2].percent");
        assert_eq!(rows.form_path("stages[0]"), "stages[0]");
        assert_eq!(rows.form_path("name"), "name");
        assert_eq!(rows.form_path("risks[4].impact"), "risks[4].impact");
    }

    #[test]
    fn what_the_form_does_not_show_is_kept_and_what_it_blanks_goes() {
        let base = json!({
            "name": "A", "release_version": "1.0.0", "environment": "production",
            "tasks": [ { "area": "ops", "title": "Pager" } ],
            "stages": [ { "audience": "alpha", "percent": 100, "bake": "10m" },
                        { "audience": "beta", "percent": 50 } ],
            "analysis": { "interval": "1m", "alpha": 0.01,
                          "checks": [ { "name": "e", "max": 1, "consecutive_breaches": 3 } ] }
        });
        let mut sent = flatten(&base);
        sent.insert("stages[0].bake".to_owned(), String::new());
        sent.insert("stages[0].audience".to_owned(), String::new());
        sent.insert("stages[0].percent".to_owned(), String::new());
        sent.remove("tasks[0].area");
        sent.remove("tasks[0].title");
        sent.remove("analysis.alpha");
        sent.remove("analysis.checks[0].consecutive_breaches");
        let (plan, _) = build(
            sent.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            Some(&base),
        );
        assert_eq!(plan["tasks"], base["tasks"], "not on the form: kept");
        assert_eq!(
            plan["stages"],
            json!([ { "audience": "beta", "percent": 50 } ])
        );
        assert_eq!(plan["analysis"]["alpha"], json!(0.01));
        assert_eq!(
            plan["analysis"]["checks"][0]["consecutive_breaches"],
            json!(3)
        );
        assert_eq!(plan["analysis"]["checks"][0]["max"], json!(1));
    }

    #[test]
    fn a_plan_flattens_to_paths() {
        let values = flatten(
            &json!({ "stages": [ { "percent": 50 } ], "analysis": { "checks": [ { "critical": true } ] } }),
        );
        assert_eq!(values["stages[0].percent"], "50");
        assert_eq!(values["analysis.checks[0].critical"], "true");
    }
}
