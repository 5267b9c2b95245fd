//! Human-readable summaries of releases and flags, from the documents the API answers
//! read into the server's own types: stages and checklist items numbered from 1, the
//! applied percentage next to the planned one. Each field is printed as its JSON reads
//! (strings bare, numbers as the server writes them, `-` for what is absent), so what
//! people see is what `--json` shows.

use std::fmt::Write as _;

use rollgate_core::model::{Flag, FlagConfig};
use serde::Serialize;
use serde_json::Value;

use crate::service::WithVersion;
use crate::service::releases::Release;

/// A field as its JSON reads: strings bare, `-` for null or absent.
pub(crate) fn text(value: impl Serialize) -> String {
    match serde_json::to_value(value).unwrap_or(Value::Null) {
        Value::String(s) => s,
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// A percentage as `25 %` (`-` when absent).
pub(crate) fn percent(value: impl Serialize) -> String {
    match text(value) {
        absent if absent == "-" => absent,
        number => format!("{number} %"),
    }
}

/// Where a started release stands: `stage 3/6 (general) at 25 % (planned 10 %)`.
fn position(release: &Release) -> Option<String> {
    let index = release.current_stage?;
    let stages = &release.plan.stages;
    let stage = stages.get(index);
    let planned = stage.map(|s| s.percent);
    let applied = release.current_percent;
    let planned = if planned == Some(applied) {
        String::new()
    } else {
        format!(" (planned {})", percent(planned))
    };
    Some(format!(
        "stage {}/{} ({}) at {}{planned}",
        index + 1,
        stages.len(),
        text(stage.map(|s| &s.audience)),
        percent(applied),
    ))
}

/// `rel-… running, stage 3/6 (general) at 25 % (planned 10 %) — Checkout v2 2.4.0`.
pub(crate) fn one_line(release: &Release) -> String {
    let position = position(release)
        .map(|p| format!(", {p}"))
        .unwrap_or_default();
    format!(
        "{} {}{position} — {} {}",
        release.id, release.state, release.plan.name, release.plan.release_version
    )
}

/// A table of releases.
pub(crate) fn release_table(releases: &[WithVersion<Release>]) -> String {
    let mut out = format!(
        "{:<18} {:<17} {:<12} {:<8} {:<10} {}\n",
        "ID", "STATE", "ENVIRONMENT", "STAGE", "PERCENT", "NAME"
    );
    for WithVersion { doc: release, .. } in releases {
        let stages = release.plan.stages.len();
        let stage = release
            .current_stage
            .map_or("-".to_owned(), |s| format!("{}/{stages}", s + 1));
        let _ = writeln!(
            out,
            "{:<18} {:<17} {:<12} {:<8} {:<10} {} {}",
            release.id,
            release.state.as_str(),
            release.plan.environment,
            stage,
            percent(release.current_percent),
            release.plan.name,
            release.plan.release_version,
        );
    }
    out
}

/// A release in full: plan, stages (planned and applied), readiness, recent timeline.
pub(crate) fn release(r: &Release) -> String {
    let mut out = String::new();
    let plan = &r.plan;
    let _ = writeln!(out, "{}", one_line(r));
    let _ = writeln!(
        out,
        "environment {}, strategy {}, author {}, approvals {}/{}",
        plan.environment,
        text(plan.strategy),
        r.author.name,
        r.approvals.len(),
        plan.approvals_required,
    );
    let _ = writeln!(out, "flags:");
    for flag in &plan.flags {
        let _ = writeln!(out, "  {} → {}", flag.key, flag.variant);
    }
    let _ = writeln!(out, "stages:{:>19}  {:>8}", "planned", "applied");
    for (index, stage) in plan.stages.iter().enumerate() {
        let (marker, applied) = match r.current_stage {
            Some(c) if c == index => (">", percent(r.current_percent)),
            Some(c) if c > index => (" ", "done".to_owned()),
            _ => (" ", String::new()),
        };
        let _ = writeln!(
            out,
            " {marker} {:>2}  {:<10} {:>8}  {:>8}  bake {}",
            index + 1,
            stage.audience,
            percent(stage.percent),
            applied,
            text(stage.bake),
        );
    }
    if !plan.checklist.is_empty() {
        let _ = writeln!(out, "checklist:");
        for (index, item) in plan.checklist.iter().enumerate() {
            let done = if item.done { "x" } else { " " };
            let _ = writeln!(
                out,
                "  {} [{done}] {} ({})",
                index + 1,
                item.item,
                item.owner
            );
        }
    }
    let _ = writeln!(out, "timeline (last 10):");
    for event in r.timeline.iter().rev().take(10).rev() {
        let _ = writeln!(out, "  {}", super::timeline::line(r, event));
    }
    out
}

/// What a flag serves in one environment (`None`: not configured there), in a few
/// words.
pub(crate) fn serving(config: Option<&FlagConfig>) -> String {
    let config = match config {
        Some(config) if config.enabled => config,
        _ => return format!("disabled (serves {})", text(config.map(|c| &c.off_variant))),
    };
    let default = &config.default;
    let serve = match &default.rollout {
        Some(arms) => arms
            .iter()
            .map(|arm| format!("{} {} %", arm.variant, f64::from(arm.weight) / 100.0))
            .collect::<Vec<_>>()
            .join(" / "),
        None => text(&default.variant),
    };
    format!("{} rule(s), default {serve}", config.rules.len())
}

/// A table of flags with what each serves per environment.
pub(crate) fn flag_table(flags: &[WithVersion<Flag>]) -> String {
    let mut out = format!("{:<28} {}\n", "KEY", "ENVIRONMENTS");
    for WithVersion { doc: flag, .. } in flags {
        let environments: Vec<String> = flag
            .environments
            .iter()
            .map(|(name, config)| format!("{name}: {}", serving(Some(config))))
            .collect();
        let _ = writeln!(out, "{:<28} {}", flag.key, environments.join("; "));
    }
    out
}
