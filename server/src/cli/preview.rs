//! `rollgate release start <id> --dry-run`: the start's preview for people — per flag
//! its configuration now and at the first stage, each audience's share of the released
//! variant before → after, the preflight, what still blocks the start, and the
//! warnings with the command that acknowledges them.

use std::fmt::Write as _;

use serde_json::Value;

use super::show::{serving, text};
use super::timeline::codes;

/// A share range `{min, max}` as `25 %` or `0 % to 100 %`.
fn share(range: &Value) -> String {
    let (min, max) = (&range["min"], &range["max"]);
    if min.as_f64() == max.as_f64() {
        format!("{} %", text(min))
    } else {
        format!("{} % to {} %", text(min), text(max))
    }
}

/// The preview of release `id`.
pub(crate) fn render(id: &str, preview: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{id} {}: {}",
        text(&preview["state"]),
        match preview["blocked_by"].as_str() {
            Some(why) => format!("cannot start yet: {why}"),
            None => "ready to start".to_owned(),
        }
    );
    for flag in preview["flags"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "{} → {} (control {})",
            text(&flag["flag"]),
            text(&flag["variant"]),
            text(&flag["control"])
        );
        let _ = writeln!(out, "  now:          {}", config(&flag["before"]));
        let _ = writeln!(out, "  first stage:  {}", config(&flag["after"]));
        let _ = writeln!(
            out,
            "  {:<12}  {:>16}  {:>16}",
            "audience", "gets it now", "at the first stage"
        );
        for exposure in flag["exposure"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  {:<12}  {:>16}  {:>16}",
                text(&exposure["audience"]),
                share(&exposure["before"]),
                share(&exposure["after"])
            );
        }
    }
    match preview.get("preflight") {
        Some(preflight) => {
            let _ = writeln!(
                out,
                "preflight ({}): {} queries, {} failed, {} without data",
                text(&preflight["prometheus_url"]),
                preflight["queries"].as_array().map_or(0, Vec::len),
                text(&preflight["failed"]),
                text(&preflight["no_data"])
            );
        }
        None => out.push_str("preflight: nothing to ask (no checks, no KPIs)\n"),
    }
    let warnings = preview["warnings"].as_array().cloned().unwrap_or_default();
    if warnings.is_empty() {
        out.push_str("warnings: none\n");
        let _ = writeln!(out, "to start: rollgate release start {id}");
        return out;
    }
    out.push_str("warnings (acknowledge each code to start):\n");
    for warning in &warnings {
        let _ = writeln!(
            out,
            "  {:<22} {}",
            text(&warning["code"]),
            text(&warning["message"])
        );
    }
    let _ = writeln!(out, "to start: {}", start_command(id, &preview["warnings"]));
    out
}

/// The command that starts `id` acknowledging `warnings`.
pub(crate) fn start_command(id: &str, warnings: &Value) -> String {
    let mut command = format!("rollgate release start {id}");
    for code in codes(warnings) {
        let _ = write!(command, " --acknowledge {code}");
    }
    command
}

/// A configuration in a few words, with its salt.
fn config(config: &Value) -> String {
    let salt = config["salt"]
        .as_str()
        .map_or_else(|| "salt: the flag key".to_owned(), |s| format!("salt {s}"));
    format!("{}; {salt}", serving(config))
}
