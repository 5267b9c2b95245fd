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
///
/// Web addresses become autolinks (`<http://…>`), written as they are: inside one a
/// Markdown viewer neither reads escapes nor entities, so `?a=1&b=2` stays exactly
/// that. Elsewhere `&` stays `&` unless it would start an entity (`&amp;` is written
/// `\&amp;`), so a reader of the raw text sees what was meant.
pub(crate) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(url) = web_address(rest, out.chars().last()) {
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[url.len()..];
            continue;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' if starts_entity(rest) => out.push_str("\\&"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The web address `text` starts with, if any (after a word boundary): `http://` or
/// `https://` up to a space, a character no autolink may hold, or trailing punctuation.
fn web_address(text: &str, before: Option<char>) -> Option<&str> {
    if before.is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let scheme = ["http://", "https://"].into_iter().find(|s| {
        text.len() > s.len()
            && text
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
    })?;
    let end = text
        .find(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '|' | '`'))
        .unwrap_or(text.len());
    let url = text[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"']);
    (url.len() > scheme.len()).then_some(url)
}

/// Does `text` (which starts with `&`) start an HTML entity such as `&amp;` or `&#38;`?
fn starts_entity(text: &str) -> bool {
    let body = &text[1..];
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .unwrap_or(body.len());
    name_end > 0 && body[name_end..].starts_with(';')
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

    #[test]
    fn web_addresses_and_ampersands_stay_as_written() {
        assert_eq!(
            markdown("Prometheus at http://prom:9090/api?a=1&b_c=2. is down"),
            "Prometheus at <http://prom:9090/api?a=1&b_c=2>. is down"
        );
        assert_eq!(markdown("R&D & QA"), "R&D & QA");
        assert_eq!(
            markdown("write &amp; or &#38;"),
            "write \\&amp; or \\&\\#38;"
        );
        assert_eq!(
            markdown("(see https://x.example/a)"),
            "(see <https://x.example/a>)"
        );
        assert_eq!(markdown("nothttp://x"), "nothttp://x");
        assert_eq!(markdown("hé"), "hé", "no panic inside a character");
    }
}
