//! Human-readable summaries of releases and flags, from the API's JSON: stages and
//! checklist items numbered from 1, the applied percentage next to the planned one.

use std::fmt::Write as _;

use serde_json::Value;

/// A JSON value as text: strings bare, `-` for null.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// A percentage as `25 %` (`-` when absent).
pub(crate) fn percent(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        other => format!("{} %", text(other)),
    }
}

/// Where a started release stands: `stage 3/6 (general) at 25 % (planned 10 %)`.
fn position(release: &Value) -> Option<String> {
    let stage = release["current_stage"].as_u64()?;
    let stages = release["stages"].as_array().map_or(0, Vec::len);
    let planned = &release["stages"][stage as usize]["percent"];
    let applied = &release["current_percent"];
    let planned = if applied.as_f64() == planned.as_f64() {
        String::new()
    } else {
        format!(" (planned {})", percent(planned))
    };
    Some(format!(
        "stage {}/{stages} ({}) at {}{planned}",
        stage + 1,
        text(&release["stages"][stage as usize]["audience"]),
        percent(applied),
    ))
}

/// `rel-… running, stage 3/6 (general) at 25 % (planned 10 %) — Checkout v2 2.4.0`.
pub(crate) fn one_line(release: &Value) -> String {
    let position = position(release)
        .map(|p| format!(", {p}"))
        .unwrap_or_default();
    format!(
        "{} {}{position} — {} {}",
        text(&release["id"]),
        text(&release["state"]),
        text(&release["name"]),
        text(&release["release_version"])
    )
}

/// A table of releases.
pub(crate) fn release_table(releases: &Value) -> String {
    let mut out = format!(
        "{:<18} {:<17} {:<12} {:<8} {:<10} {}\n",
        "ID", "STATE", "ENVIRONMENT", "STAGE", "PERCENT", "NAME"
    );
    for release in releases.as_array().into_iter().flatten() {
        let stages = release["stages"].as_array().map_or(0, Vec::len);
        let stage = release["current_stage"]
            .as_u64()
            .map_or("-".to_owned(), |s| format!("{}/{stages}", s + 1));
        let _ = writeln!(
            out,
            "{:<18} {:<17} {:<12} {:<8} {:<10} {} {}",
            text(&release["id"]),
            text(&release["state"]),
            text(&release["environment"]),
            stage,
            percent(&release["current_percent"]),
            text(&release["name"]),
            text(&release["release_version"]),
        );
    }
    out
}

/// A release in full: plan, stages (planned and applied), readiness, recent timeline.
pub(crate) fn release(r: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", one_line(r));
    let approvals = r["approvals"].as_array().map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "environment {}, strategy {}, author {}, approvals {approvals}/{}",
        text(&r["environment"]),
        text(&r["strategy"]),
        text(&r["author"]["name"]),
        text(&r["approvals_required"]),
    );
    let _ = writeln!(out, "flags:");
    for flag in r["flags"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  {} → {}", text(&flag["key"]), text(&flag["variant"]));
    }
    let _ = writeln!(out, "stages:{:>19}  {:>8}", "planned", "applied");
    let current = r["current_stage"].as_u64();
    for (index, stage) in r["stages"].as_array().into_iter().flatten().enumerate() {
        let index = index as u64;
        let (marker, applied) = match current {
            Some(c) if c == index => (">", percent(&r["current_percent"])),
            Some(c) if c > index => (" ", "done".to_owned()),
            _ => (" ", String::new()),
        };
        let bake = stage["bake"].as_str().unwrap_or("-");
        let _ = writeln!(
            out,
            " {marker} {:>2}  {:<10} {:>8}  {:>8}  bake {bake}",
            index + 1,
            text(&stage["audience"]),
            percent(&stage["percent"]),
            applied,
        );
    }
    let checklist = r["checklist"].as_array().cloned().unwrap_or_default();
    if !checklist.is_empty() {
        let _ = writeln!(out, "checklist:");
        for (index, item) in checklist.iter().enumerate() {
            let done = if item["done"].as_bool() == Some(true) {
                "x"
            } else {
                " "
            };
            let _ = writeln!(
                out,
                "  {} [{done}] {} ({})",
                index + 1,
                text(&item["item"]),
                text(&item["owner"])
            );
        }
    }
    let timeline = r["timeline"].as_array().cloned().unwrap_or_default();
    let _ = writeln!(out, "timeline (last 10):");
    for event in timeline.iter().rev().take(10).rev() {
        let _ = writeln!(out, "  {}", super::timeline::line(r, event));
    }
    out
}

/// What a flag serves in one environment, in a few words.
pub(crate) fn serving(config: &Value) -> String {
    if config["enabled"].as_bool() != Some(true) {
        return format!("disabled (serves {})", text(&config["off_variant"]));
    }
    let rules = config["rules"].as_array().map_or(0, Vec::len);
    let default = &config["default"];
    let serve = match default["rollout"].as_array() {
        Some(arms) => arms
            .iter()
            .map(|arm| {
                format!(
                    "{} {} %",
                    text(&arm["variant"]),
                    arm["weight"].as_f64().unwrap_or(0.0) / 100.0
                )
            })
            .collect::<Vec<_>>()
            .join(" / "),
        None => text(&default["variant"]),
    };
    format!("{rules} rule(s), default {serve}")
}

/// A table of flags with what each serves per environment.
pub(crate) fn flag_table(flags: &Value) -> String {
    let mut out = format!("{:<28} {}\n", "KEY", "ENVIRONMENTS");
    for flag in flags.as_array().into_iter().flatten() {
        let environments: Vec<String> = flag["environments"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, config)| format!("{name}: {}", serving(config)))
            .collect();
        let _ = writeln!(
            out,
            "{:<28} {}",
            text(&flag["key"]),
            environments.join("; ")
        );
    }
    out
}
