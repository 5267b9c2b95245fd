//! How reports and changelogs write things for people: times, durations, numbers,
//! percentages, and text made safe for Markdown and HTML (release names, reasons and
//! PromQL are user input and must never become markup).

use std::fmt::Write as _;

use time::OffsetDateTime;

/// `2030-01-01 09:30:00 UTC`.
pub(crate) fn time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// RFC 3339, as Atom and JSON write times.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `1h 5m 3s`, `42s`, `0s`.
pub(crate) fn duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let parts = [
        (seconds / 86_400, "d"),
        (seconds % 86_400 / 3_600, "h"),
        (seconds % 3_600 / 60, "m"),
        (seconds % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(amount, _)| *amount > 0)
        .map(|(amount, unit)| format!("{amount}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A measured value with four significant digits, `—` when there is none.
pub(crate) fn number(value: Option<f64>) -> String {
    match value {
        None => "—".to_owned(),
        Some(0.0) => "0".to_owned(),
        Some(v) if v.abs() >= 1e6 || v.abs() < 1e-4 => format!("{v:.3e}"),
        Some(v) => {
            let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
            let text = format!("{v:.digits$}");
            if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                text
            }
        }
    }
}

/// The closing line of a report: when and from what it was made, and whether it is
/// final. Plain text (times and counts only), the same in every format.
pub(crate) fn generated(report: &super::Report) -> String {
    format!(
        "Generated {} from the release's timeline ({} analysis record(s)){}.",
        time(report.generated_at),
        report.analysis_records,
        if report.is_final {
            "; final: stored and never rewritten"
        } else {
            ""
        }
    )
}

/// `12.5 %`.
pub(crate) fn percent(value: f64) -> String {
    format!("{} %", number(Some(value)))
}

/// Text for a Markdown paragraph or table cell: no raw HTML, no table breaks, one line.
pub(crate) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML element content or a quoted attribute.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends a Markdown table: a header row and rows of already-escaped cells.
pub(crate) fn markdown_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(3_903), "1h 5m 3s");
        assert_eq!(duration(90_000), "1d 1h");
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(Some(0.012345)), "0.01235");
        assert_eq!(number(Some(250.0)), "250");
        assert_eq!(number(Some(0.5)), "0.5");
        assert_eq!(number(Some(12_345_678.0)), "1.235e7");
        assert_eq!(number(None), "—");
    }

    #[test]
    fn user_text_never_becomes_markup() {
        assert_eq!(
            html(r#"<script>alert("x")</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
        assert_eq!(markdown("a | <b>\nc"), "a \\| &lt;b&gt; c");
    }
}
