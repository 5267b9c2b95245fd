//! The analysis section and the KPIs: durations that fit together, a sane error budget,
//! checks whose templates only use the known placeholders, bounds that make sense.

use std::collections::BTreeSet;

use crate::release::analysis::PLACEHOLDERS;
use crate::release::{Analysis, AnalysisCheck, CheckKind, Kpi};
use crate::validate::{FieldError, count_field, key_field};

/// Most checks in an analysis section.
pub const MAX_CHECKS: usize = 20;
/// Longest PromQL template, in bytes.
pub const MAX_TEMPLATE: usize = 4096;

pub(super) fn check(errors: &mut Vec<FieldError>, analysis: &Analysis) {
    if let Some(url) = &analysis.prometheus_url {
        let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
        if !scheme_ok || url.len() > 2048 || url.contains(char::is_whitespace) {
            errors.push(FieldError::new(
                "analysis.prometheus_url",
                "must be an http:// or https:// URL such as \"http://127.0.0.1:9090\"",
            ));
        }
    }
    if !(analysis.alpha > 0.0 && analysis.alpha <= 0.5) {
        errors.push(FieldError::new(
            "analysis.alpha",
            format!("must be above 0 and at most 0.5, got {}", analysis.alpha),
        ));
    }
    if analysis.max_consecutive_errors == 0 {
        errors.push(FieldError::new(
            "analysis.max_consecutive_errors",
            "must be at least 1",
        ));
    }
    if let Some(longest) = analysis.max_stage_duration
        && longest < analysis.interval
    {
        errors.push(FieldError::new(
            "analysis.max_stage_duration",
            format!(
                "{longest} is shorter than the interval {}; a stage needs at least one analysis",
                analysis.interval
            ),
        ));
    }
    if !count_field(errors, "analysis.checks", &analysis.checks, MAX_CHECKS) {
        return;
    }
    let mut names = BTreeSet::new();
    for (index, check) in analysis.checks.iter().enumerate() {
        let field = format!("analysis.checks[{index}]");
        key_field(errors, &format!("{field}.name"), &check.name);
        if !names.insert(check.name.as_str()) {
            errors.push(FieldError::new(
                format!("{field}.name"),
                format!("check {:?} is defined twice", check.name),
            ));
        }
        check_queries(errors, &field, check);
        check_bounds(errors, &field, check);
    }
}

fn check_queries(errors: &mut Vec<FieldError>, field: &str, check: &AnalysisCheck) {
    type Queries<'a> = &'a [(&'a str, &'a Option<String>)];
    let (needed, refused): (Queries<'_>, Queries<'_>) = match check.kind {
        CheckKind::Ratio => (
            &[("errors", &check.errors), ("total", &check.total)],
            &[("query", &check.query)],
        ),
        CheckKind::Value => (
            &[("query", &check.query)],
            &[("errors", &check.errors), ("total", &check.total)],
        ),
    };
    let kind = match check.kind {
        CheckKind::Ratio => "ratio",
        CheckKind::Value => "value",
    };
    for (name, query) in needed {
        match query {
            None => errors.push(FieldError::new(
                format!("{field}.{name}"),
                format!("a {kind} check needs `{name}`"),
            )),
            Some(template) => {
                if let Err(message) = check_template(template) {
                    errors.push(FieldError::new(format!("{field}.{name}"), message));
                }
            }
        }
    }
    for (name, query) in refused {
        if query.is_some() {
            errors.push(FieldError::new(
                format!("{field}.{name}"),
                format!("a {kind} check does not take `{name}`"),
            ));
        }
    }
}

fn check_bounds(errors: &mut Vec<FieldError>, field: &str, check: &AnalysisCheck) {
    for (name, bound) in [("max", check.max), ("min", check.min)] {
        let Some(value) = bound else { continue };
        if !value.is_finite() {
            errors.push(FieldError::new(
                format!("{field}.{name}"),
                "must be a finite number",
            ));
        } else if check.kind == CheckKind::Ratio && !(0.0..=1.0).contains(&value) {
            errors.push(FieldError::new(
                format!("{field}.{name}"),
                format!("a ratio lies between 0 and 1, got {value}"),
            ));
        }
    }
    if let (Some(min), Some(max)) = (check.min, check.max)
        && min > max
    {
        errors.push(FieldError::new(
            format!("{field}.min"),
            format!("{min} is above max {max}"),
        ));
    }
    if !(1..=100).contains(&check.consecutive_breaches) {
        errors.push(FieldError::new(
            format!("{field}.consecutive_breaches"),
            "must be between 1 and 100",
        ));
    }
    if let Some(increase) = check.max_relative_increase
        && !(increase.is_finite() && increase > 0.0)
    {
        errors.push(FieldError::new(
            format!("{field}.max_relative_increase"),
            format!("must be above 0 (0.25 tolerates 25 % worse), got {increase}"),
        ));
    }
}

pub(super) fn check_kpis(errors: &mut Vec<FieldError>, kpis: &[Kpi]) {
    if !count_field(errors, "kpis", kpis, super::MAX_ITEMS) {
        return;
    }
    let mut names = BTreeSet::new();
    for (index, kpi) in kpis.iter().enumerate() {
        let field = format!("kpis[{index}]");
        key_field(errors, &format!("{field}.name"), &kpi.name);
        if !names.insert(kpi.name.as_str()) {
            errors.push(FieldError::new(
                format!("{field}.name"),
                format!("KPI {:?} is defined twice", kpi.name),
            ));
        }
        if let Err(message) = check_template(&kpi.query) {
            errors.push(FieldError::new(format!("{field}.query"), message));
        }
        let target = &kpi.target;
        if target.min.is_none() && target.max.is_none() {
            errors.push(FieldError::new(
                format!("{field}.target"),
                "give `min`, `max` or both",
            ));
        }
        for (name, bound) in [("min", target.min), ("max", target.max)] {
            if bound.is_some_and(|v| !v.is_finite()) {
                errors.push(FieldError::new(
                    format!("{field}.target.{name}"),
                    "must be a finite number",
                ));
            }
        }
        if let (Some(min), Some(max)) = (target.min, target.max)
            && min > max
        {
            errors.push(FieldError::new(
                format!("{field}.target.min"),
                format!("{min} is above max {max}"),
            ));
        }
    }
}

/// Checks a PromQL template: not empty, not too long, and `{{…}}` only around the
/// known placeholders (`flag`, `variant`, `release`, `window`).
pub fn check_template(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    if template.len() > MAX_TEMPLATE {
        return Err(format!(
            "must be at most {MAX_TEMPLATE} bytes, got {}",
            template.len()
        ));
    }
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("has a `{{` without its `}}`".to_owned());
        };
        let name = after[..close].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{{{name}}}}}; the placeholders are {{{{flag}}}}, {{{{variant}}}}, {{{{release}}}} and {{{{window}}}}"
            ));
        }
        rest = &after[close + 2..];
    }
    Ok(())
}
