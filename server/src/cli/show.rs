//! Human-readable summaries of releases and flags, from the API's JSON.

use std::fmt::Write as _;

use serde_json::Value;

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// `rel-… running, stage 3/6 (general) at 10 % — Checkout v2 2.4.0`.
pub(crate) fn one_line(release: &Value) -> String {
    let stages = release["stages"].as_array().map_or(0, Vec::len);
    let position = match release["current_stage"].as_u64() {
        Some(stage) => format!(
            ", stage {}/{stages} ({}) at {} %",
            stage + 1,
            text(&release["stages"][stage as usize]["audience"]),
            text(&release["current_percent"])
        ),
        None => String::new(),
    };
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
        let stage = release["current_stage"]
            .as_u64()
            .map_or("-".to_owned(), |s| (s + 1).to_string());
        let _ = writeln!(
            out,
            "{:<18} {:<17} {:<12} {:<8} {:<10} {} {}",
            text(&release["id"]),
            text(&release["state"]),
            text(&release["environment"]),
            stage,
            format!("{} %", text(&release["current_percent"])),
            text(&release["name"]),
            text(&release["release_version"]),
        );
    }
    out
}

/// A release in full: plan, stages, readiness, recent timeline.
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
    let _ = writeln!(out, "stages:");
    let current = r["current_stage"].as_u64();
    for (index, stage) in r["stages"].as_array().into_iter().flatten().enumerate() {
        let marker = if current == Some(index as u64) {
            ">"
        } else {
            " "
        };
        let bake = stage["bake"].as_str().unwrap_or("-");
        let _ = writeln!(
            out,
            " {marker} {index}  {:<12} {:>6} %  bake {bake}",
            text(&stage["audience"]),
            text(&stage["percent"])
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
                "  {index} [{done}] {} ({})",
                text(&item["item"]),
                text(&item["owner"])
            );
        }
    }
    let timeline = r["timeline"].as_array().cloned().unwrap_or_default();
    let _ = writeln!(out, "timeline (last 10):");
    for event in timeline.iter().rev().take(10).rev() {
        let comment = event["comment"]
            .as_str()
            .map(|c| format!(" — {c}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {:<18} by {}{comment}",
            text(&event["at"]),
            text(&event["event"]),
            text(&event["by"]["name"])
        );
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
