//! `rollgate release start <id> --dry-run`: the start's preview for people — per flag
//! its configuration now and at the first stage, each audience's share of the released
//! variant before → after, the preflight, what still blocks the start, and the
//! warnings with the command that acknowledges them. It reads the server's
//! [`StartPreview`].

use std::fmt::Write as _;

use rollgate_core::model::FlagConfig;
use rollgate_core::release::Warning;

use super::show::{serving, text};
use crate::service::releases::StartPreview;

/// The preview of release `id`.
pub(crate) fn render(id: &str, preview: &StartPreview) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{id} {}: {}",
        preview.state,
        match &preview.blocked_by {
            Some(why) => format!("cannot start yet: {why}"),
            None => "ready to start".to_owned(),
        }
    );
    for flag in &preview.flags {
        let _ = writeln!(
            out,
            "{} → {} (control {})",
            flag.flag, flag.variant, flag.control
        );
        let _ = writeln!(out, "  now:          {}", config(&flag.before));
        let _ = writeln!(out, "  first stage:  {}", config(&flag.after));
        let _ = writeln!(
            out,
            "  {:<12}  {:>16}  {:>16}",
            "audience", "gets it now", "at the first stage"
        );
        for exposure in &flag.exposure {
            // A share is `25 %`, or `0 % to 100 %` when the flag's rules leave it open.
            let _ = writeln!(
                out,
                "  {:<12}  {:>16}  {:>16}",
                exposure.audience,
                exposure.before.to_string(),
                exposure.after.to_string()
            );
        }
    }
    match &preview.preflight {
        Some(preflight) => {
            let _ = writeln!(
                out,
                "preflight ({}): {} queries, {} failed, {} without data",
                text(&preflight.prometheus_url),
                preflight.queries.len(),
                preflight.failed,
                preflight.no_data
            );
        }
        None => out.push_str("preflight: nothing to ask (no checks, no KPIs)\n"),
    }
    if preview.warnings.is_empty() {
        out.push_str("warnings: none\n");
        let _ = writeln!(out, "to start: rollgate release start {id}");
        return out;
    }
    out.push_str("warnings (acknowledge each code to start):\n");
    for warning in &preview.warnings {
        let _ = writeln!(out, "  {:<22} {}", warning.code.as_str(), warning.message);
    }
    let _ = writeln!(out, "to start: {}", start_command(id, &preview.warnings));
    out
}

/// The command that starts `id` acknowledging `warnings`.
pub(crate) fn start_command(id: &str, warnings: &[Warning]) -> String {
    let mut command = format!("rollgate release start {id}");
    for code in codes(warnings) {
        let _ = write!(command, " --acknowledge {code}");
    }
    command
}

/// The codes of a list of warnings, each once, in order.
pub(crate) fn codes(warnings: &[Warning]) -> Vec<&'static str> {
    let mut codes = Vec::new();
    for warning in warnings {
        let code = warning.code.as_str();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// A configuration in a few words, with its salt.
fn config(config: &FlagConfig) -> String {
    let salt = config
        .salt
        .as_deref()
        .map_or_else(|| "salt: the flag key".to_owned(), |s| format!("salt {s}"));
    format!("{}; {salt}", serving(Some(config)))
}
