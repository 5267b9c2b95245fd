//! Human-readable summaries of releases and flags, from the documents the API answers
//! (read into the server's own types). Each field is printed as its JSON reads: strings
//! bare, numbers as the server wrote them, and `-` for what is absent.

use std::fmt::Write as _;

use rollgate_core::model::{Flag, FlagConfig};
use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use crate::service::WithVersion;
use crate::service::releases::Release;

fn text(value: impl Serialize) -> String {
    match serde_json::to_value(value).unwrap_or(Value::Null) {
        Value::String(s) => s,
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// `rel-… running, stage 3/6 (general) at 10 % — Checkout v2 2.4.0`.
pub(crate) fn one_line(release: &Release) -> String {
    let stages = &release.plan.stages;
    let position = match release.current_stage {
        Some(stage) => format!(
            ", stage {}/{} ({}) at {} %",
            stage + 1,
            stages.len(),
            text(stages.get(stage).map(|s| &s.audience)),
            text(release.current_percent)
        ),
        None => String::new(),
    };
    format!(
        "{} {}{position} — {} {}",
        text(&release.id),
        text(release.state),
        text(&release.plan.name),
        text(&release.plan.release_version)
    )
}

/// A table of releases.
pub(crate) fn release_table(releases: &[WithVersion<Release>]) -> String {
    let mut out = format!(
        "{:<18} {:<17} {:<12} {:<8} {:<10} {}\n",
        "ID", "STATE", "ENVIRONMENT", "STAGE", "PERCENT", "NAME"
    );
    for WithVersion { doc: release, .. } in releases {
        let stage = release
            .current_stage
            .map_or("-".to_owned(), |s| (s + 1).to_string());
        let _ = writeln!(
            out,
            "{:<18} {:<17} {:<12} {:<8} {:<10} {} {}",
            text(&release.id),
            text(release.state),
            text(&release.plan.environment),
            stage,
            format!("{} %", text(release.current_percent)),
            text(&release.plan.name),
            text(&release.plan.release_version),
        );
    }
    out
}

/// A release in full: plan, stages, readiness, recent timeline.
pub(crate) fn release(r: &Release) -> String {
    let mut out = String::new();
    let plan = &r.plan;
    let _ = writeln!(out, "{}", one_line(r));
    let _ = writeln!(
        out,
        "environment {}, strategy {}, author {}, approvals {}/{}",
        text(&plan.environment),
        text(plan.strategy),
        text(&r.author.name),
        r.approvals.len(),
        text(plan.approvals_required),
    );
    let _ = writeln!(out, "flags:");
    for flag in &plan.flags {
        let _ = writeln!(out, "  {} → {}", text(&flag.key), text(&flag.variant));
    }
    let _ = writeln!(out, "stages:");
    for (index, stage) in plan.stages.iter().enumerate() {
        let marker = if r.current_stage == Some(index) {
            ">"
        } else {
            " "
        };
        let _ = writeln!(
            out,
            " {marker} {index}  {:<12} {:>6} %  bake {}",
            text(&stage.audience),
            text(stage.percent),
            text(stage.bake)
        );
    }
    if !plan.checklist.is_empty() {
        let _ = writeln!(out, "checklist:");
        for (index, item) in plan.checklist.iter().enumerate() {
            let done = if item.done { "x" } else { " " };
            let _ = writeln!(
                out,
                "  {index} [{done}] {} ({})",
                text(&item.item),
                text(&item.owner)
            );
        }
    }
    let _ = writeln!(out, "timeline (last 10):");
    for event in r.timeline.iter().rev().take(10).rev() {
        let comment = event
            .comment
            .as_ref()
            .map(|c| format!(" — {c}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {:<18} by {}{comment}",
            event.at.format(&Rfc3339).unwrap_or_default(),
            text(event.event),
            text(&event.by.name)
        );
    }
    out
}

/// What a flag serves in one environment (`None`: not configured there), in a few
/// words.
pub(crate) fn serving(config: Option<&FlagConfig>) -> String {
    let config = match config {
        Some(config) if config.enabled => config,
        _ => {
            return format!("disabled (serves {})", text(config.map(|c| &c.off_variant)));
        }
    };
    let default = &config.default;
    let serve = match &default.rollout {
        Some(arms) => arms
            .iter()
            .map(|arm| format!("{} {} %", text(&arm.variant), f64::from(arm.weight) / 100.0))
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
        let _ = writeln!(out, "{:<28} {}", text(&flag.key), environments.join("; "));
    }
    out
}
