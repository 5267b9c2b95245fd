//! Numbers, spans and times for people, as they appear in a decision's reason.

use time::OffsetDateTime;

/// Which bound a value breaches, in words.
pub(super) fn describe_bound(max: Option<f64>, min: Option<f64>, value: f64) -> String {
    match (max, min) {
        (Some(max), _) if value > max => format!("above max {}", show(max)),
        (_, Some(min)) if value < min => format!("below min {}", show(min)),
        _ => "out of bounds".to_owned(),
    }
}

/// A number for people: a few significant digits.
pub(super) fn show(value: f64) -> String {
    if !value.is_finite() {
        return if value > 0.0 { "+inf" } else { "-inf" }.to_owned();
    }
    if value != 0.0 && value.abs() < 0.001 {
        return format!("{value:.2e}");
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A span in whole seconds.
pub(super) fn span(duration: time::Duration) -> String {
    format!("{} s", duration.whole_seconds().max(0))
}

/// A time as RFC 3339.
pub(super) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
