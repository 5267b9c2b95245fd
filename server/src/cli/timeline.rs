//! A release's timeline for people: one line per event, its time in RFC 3339 to the
//! second, who, and what changed — `stage 2 → 3: general 10 %`, `general 10 % → 25 %`,
//! `running → paused` — with the comment or reason given.

use serde_json::Value;

use super::show::{percent, text};

/// `2030-01-01T09:30:00.123456Z` → `2030-01-01T09:30:00Z` (any RFC 3339 time, shown in
/// UTC to the second); text that does not parse is shown as it is.
pub(crate) fn time(value: &Value) -> String {
    let format = &time::format_description::well_known::Rfc3339;
    value
        .as_str()
        .and_then(|at| time::OffsetDateTime::parse(at, format).ok())
        .and_then(|at| {
            at.to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .ok()?
                .format(format)
                .ok()
        })
        .unwrap_or_else(|| text(value))
}

/// One timeline line (without indentation).
pub(crate) fn line(release: &Value, event: &Value) -> String {
    let kind = event["event"].as_str().unwrap_or_default();
    let what = change(release, event);
    let comment = event["comment"]
        .as_str()
        .filter(|c| !c.is_empty() && kind != "analysis" && kind != "start_blocked")
        .map(|c| format!(" — {c}"))
        .unwrap_or_default();
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" — {what}")
    };
    format!(
        "{}  {:<19} by {}{what}{comment}",
        time(&event["at"]),
        kind,
        text(&event["by"]["name"])
    )
}

/// The stage an event names, as `3: general 10 %` (1-based).
fn stage(release: &Value, event: &Value) -> Option<String> {
    let index = event["stage"].as_u64()?;
    let audience = text(&release["stages"][index as usize]["audience"]);
    Some(format!(
        "{}: {audience} {}",
        index + 1,
        percent(&event["percent"])
    ))
}

/// What the event changed, in a few words.
fn change(release: &Value, event: &Value) -> String {
    let details = &event["details"];
    let transition = || match (event["from"].as_str(), event["to"].as_str()) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        (None, Some(to)) => format!("→ {to}"),
        _ => String::new(),
    };
    match event["event"].as_str().unwrap_or_default() {
        "created" => "draft".to_owned(),
        "revised" => {
            if details["material"] == true {
                "plan revised: what ships or how changed".to_owned()
            } else {
                "plan revised".to_owned()
            }
        }
        "approvals_reset" => format!(
            "{}; {} approval(s) dropped",
            transition(),
            details["dropped"]
        ),
        "submitted" => match preflight(details) {
            Some(preflight) => format!("{}; {preflight}", transition()),
            None => transition(),
        },
        "approval_given" => format!(
            "approval {} of {}",
            text(&details["approvals"]),
            text(&details["required"])
        ),
        "started" => {
            let mut what = format!("stage {}", stage(release, event).unwrap_or_default());
            let acknowledged = codes(&details["acknowledged"]);
            if !acknowledged.is_empty() {
                what.push_str(&format!("; acknowledged {}", acknowledged.join(", ")));
            }
            if let Some(preflight) = preflight(details) {
                what.push_str(&format!("; {preflight}"));
            }
            what
        }
        "stage_advanced" => {
            let index = event["stage"].as_u64().unwrap_or(0);
            format!(
                "stage {index} → {}",
                stage(release, event).unwrap_or_default()
            )
        }
        "percent_set" => {
            let index = event["stage"].as_u64().unwrap_or(0) as usize;
            format!(
                "{} {} → {}",
                text(&release["stages"][index]["audience"]),
                percent(&details["from"]),
                percent(&event["percent"])
            )
        }
        "completed" => format!("{}: released to everyone", transition()),
        "rolled_back" => format!("{}: control to everyone", transition()),
        "checklist_updated" => format!(
            "item {} {:?} {}",
            details["index"].as_u64().map_or(0, |i| i + 1),
            text(&details["item"]),
            if details["done"] == true {
                "done"
            } else {
                "not done"
            }
        ),
        "incident" => format!(
            "{} (action: {})",
            text(&details["what"]),
            text(&details["action"])
        ),
        "analysis" | "start_blocked" => event["comment"].as_str().unwrap_or_default().to_owned(),
        "rollback_propagated" => format!(
            "revision {} served; {} of {} SDK stream(s) had it",
            text(&details["revision"]),
            text(&details["sdk_streams"]["received"]),
            text(&details["sdk_streams"]["connected"])
        ),
        "flag_disabled" => format!(
            "flag {} disabled in {} (kill switch)",
            text(&details["flag"]),
            text(&details["environment"])
        ),
        "flag_enabled" => format!(
            "flag {} enabled again in {}",
            text(&details["flag"]),
            text(&details["environment"])
        ),
        _ => transition(),
    }
}

/// The codes of a list of warnings.
pub(crate) fn codes(warnings: &Value) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for warning in warnings.as_array().into_iter().flatten() {
        let code = text(&warning["code"]);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// `preflight: 6 queries, 1 failed, 2 without data`, from an event's details.
fn preflight(details: &Value) -> Option<String> {
    let preflight = details.get("preflight")?;
    Some(format!(
        "preflight: {} queries, {} failed, {} without data",
        text(&preflight["queries"]),
        text(&preflight["failed"]),
        text(&preflight["no_data"])
    ))
}
