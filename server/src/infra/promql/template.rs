//! PromQL templates: `{{flag}}`, `{{variant}}`, `{{release}}` and `{{window}}` in a
//! check's query, filled in per cohort with values escaped for PromQL string literals
//! (so a value can never close the label matcher it sits in).

/// The values a template may use.
#[derive(Clone, Debug, Default)]
pub(crate) struct Placeholders<'a> {
    /// The released flag's key.
    pub flag: &'a str,
    /// The cohort's variant (treatment or control).
    pub variant: &'a str,
    /// The release id.
    pub release: &'a str,
    /// The range-vector window, e.g. `2m`.
    pub window: &'a str,
}

/// Why a template cannot be filled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateError {
    /// `{{name}}` with a name other than `flag`, `variant`, `release` or `window`.
    #[error(
        "unknown placeholder {{{{{0}}}}}; use {{{{flag}}}}, {{{{variant}}}}, {{{{release}}}} or {{{{window}}}}"
    )]
    Unknown(String),
    /// `{{` without `}}`.
    #[error("a placeholder opened with {{{{ is never closed")]
    Unclosed,
}

/// Checks a template without filling it (the tests' view of what `render` refuses).
#[cfg(test)]
fn check(template: &str) -> Result<(), TemplateError> {
    render(template, &Placeholders::default()).map(|_| ())
}

/// Fills a template.
pub(crate) fn render(template: &str, values: &Placeholders<'_>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        let value = match name {
            "flag" => values.flag,
            "variant" => values.variant,
            "release" => values.release,
            "window" => values.window,
            other => return Err(TemplateError::Unknown(other.to_owned())),
        };
        escape_into(&mut out, value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A value escaped for a PromQL double-quoted string.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value);
    out
}

/// Escapes a value for a PromQL double-quoted string (label matcher values).
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(variant: &'a str) -> Placeholders<'a> {
        Placeholders {
            flag: "new-checkout",
            variant,
            release: "r-42",
            window: "2m",
        }
    }

    #[test]
    fn placeholders_are_filled_wherever_they_appear() {
        let template = r#"sum(increase(http_requests_total{variant="{{variant}}",flag="{{ flag }}"}[{{window}}])) # {{release}}"#;
        assert_eq!(
            render(template, &values("on")),
            Ok(r#"sum(increase(http_requests_total{variant="on",flag="new-checkout"}[2m])) # r-42"#.to_owned())
        );
    }

    #[test]
    fn values_cannot_break_out_of_a_label_matcher() {
        let rendered = render(
            r#"up{variant="{{variant}}"}"#,
            &values("x\"} or vector(1) or up{a=\"\\"),
        )
        .unwrap_or_default();
        assert_eq!(rendered, r#"up{variant="x\"} or vector(1) or up{a=\"\\"}"#);
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused() {
        assert_eq!(
            check("up{x=\"{{varaint}}\"}"),
            Err(TemplateError::Unknown("varaint".into()))
        );
        assert_eq!(check("up{x=\"{{variant\"}"), Err(TemplateError::Unclosed));
        assert_eq!(check("sum(up)"), Ok(()));
    }
}
