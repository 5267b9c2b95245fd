//! Exposures reported by SDKs: how often each flag served each variant, for which reason,
//! since the SDK's last report. They are added to `rollgate_evaluations_total` (and the
//! error family) — the same counters OFREP evaluations count into — so the canary
//! controller checks sample ratios in one place, whichever way clients evaluate.
//!
//! Body (`POST /sdk/v1/exposures`, at most `limits.max_body_bytes`):
//! `{"exposures":[{"flag":"new-checkout","variant":"on","reason":"SPLIT","count":12},
//! {"reason":"ERROR","error_code":"FLAG_NOT_FOUND","count":1}]}`.
//!
//! A malformed report (bad JSON, unknown field, unknown reason or error code, a count
//! of 0 or above [`MAX_COUNT`], more than [`MAX_ENTRIES`] entries) is refused whole with
//! the offending field's path, and nothing is counted. A well-formed entry naming a flag
//! or variant this environment does not serve (deleted or changed since the SDK
//! evaluated it) is not counted — an SDK key must not be able to create label series
//! at will — and is listed in the answer's `unknown`.

use rollgate_core::{ErrorCode, FieldError, ParseError, Reason};
use serde::{Deserialize, Serialize};

use crate::infra::hub::Served;

/// Most entries in one report.
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// Largest count of one entry.
pub(crate) const MAX_COUNT: u64 = 1_000_000_000;

/// A report of exposures.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Report {
    /// Counts since the previous report.
    pub exposures: Vec<Exposure>,
}

/// How often one flag served one variant for one reason (or failed with one code).
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exposure {
    /// The flag (may be left out for an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// The variant served (absent for an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// `STATIC`, `DEFAULT`, `TARGETING_MATCH`, `SPLIT`, `DISABLED` or `ERROR`.
    pub reason: String,
    /// For `ERROR`: `FLAG_NOT_FOUND`, `TARGETING_KEY_MISSING` or `INVALID_CONTEXT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// How many evaluations, 1 to 1 000 000 000.
    pub count: u64,
}

/// What was done with a report.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub(crate) struct Recorded {
    /// Evaluations added to the counters.
    pub counted: u64,
    /// Entries not counted because the flag or variant is not served here.
    pub unknown: Vec<UnknownExposure>,
}

/// An entry naming a flag or variant not served in the key's environment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UnknownExposure {
    /// Its position in `exposures`.
    pub index: usize,
    /// The flag named.
    pub flag: Option<String>,
    /// The variant named.
    pub variant: Option<String>,
}

enum Checked {
    Served {
        flag: String,
        variant: String,
        reason: Reason,
    },
    Failed(ErrorCode),
}

fn reason(name: &str) -> Option<Reason> {
    Reason::ALL.into_iter().find(|r| r.as_str() == name)
}

fn error_code(name: &str) -> Option<ErrorCode> {
    [
        ErrorCode::FlagNotFound,
        ErrorCode::TargetingKeyMissing,
        ErrorCode::InvalidContext,
    ]
    .into_iter()
    .find(|c| c.as_str() == name)
}

fn check(index: usize, exposure: &Exposure) -> Result<Checked, FieldError> {
    let at = |field: &str| format!("exposures[{index}].{field}");
    if !(1..=MAX_COUNT).contains(&exposure.count) {
        return Err(FieldError::new(
            at("count"),
            format!("must be between 1 and {MAX_COUNT}"),
        ));
    }
    let reason = reason(&exposure.reason).ok_or_else(|| {
        FieldError::new(
            at("reason"),
            "must be one of STATIC, DEFAULT, TARGETING_MATCH, SPLIT, DISABLED, ERROR",
        )
    })?;
    if reason == Reason::Error {
        let code = exposure.error_code.as_deref().and_then(error_code).ok_or_else(|| {
            FieldError::new(
                at("error_code"),
                "an ERROR needs error_code FLAG_NOT_FOUND, TARGETING_KEY_MISSING or INVALID_CONTEXT",
            )
        })?;
        return Ok(Checked::Failed(code));
    }
    if exposure.error_code.is_some() {
        return Err(FieldError::new(
            at("error_code"),
            "only an ERROR has an error_code",
        ));
    }
    let flag = exposure
        .flag
        .clone()
        .ok_or_else(|| FieldError::new(at("flag"), "is required"))?;
    let variant = exposure
        .variant
        .clone()
        .ok_or_else(|| FieldError::new(at("variant"), "is required unless the reason is ERROR"))?;
    Ok(Checked::Served {
        flag,
        variant,
        reason,
    })
}

/// Parses, checks and counts a report into `served`'s counters; a report that does not
/// parse, or names a field wrongly, counts nothing.
pub(crate) fn record(served: &Served, body: &[u8]) -> Result<Recorded, ParseError> {
    let report: Report = rollgate_core::validate::parse(body)?;
    if report.exposures.len() > MAX_ENTRIES {
        return Err(ParseError::Invalid(vec![FieldError::new(
            "exposures",
            format!("at most {MAX_ENTRIES} entries per report; send the rest in another"),
        )]));
    }
    let checked = report
        .exposures
        .iter()
        .enumerate()
        .map(|(index, exposure)| check(index, exposure))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ParseError::Invalid(vec![error]))?;
    let mut recorded = Recorded::default();
    let snapshot = &served.snapshot;
    for (index, (checked, exposure)) in checked.into_iter().zip(&report.exposures).enumerate() {
        let counted = match checked {
            Checked::Failed(code) => {
                served.count_error(code, exposure.count);
                true
            }
            Checked::Served {
                flag,
                variant,
                reason,
            } => snapshot
                .flag_index(&flag)
                .and_then(|f| Some((f, snapshot.variant_names(f).position(|v| v == variant)?)))
                .is_some_and(|(f, v)| served.count_served(f, v, reason, exposure.count)),
        };
        if counted {
            recorded.counted += exposure.count;
        } else {
            recorded.unknown.push(UnknownExposure {
                index,
                flag: exposure.flag.clone(),
                variant: exposure.variant.clone(),
            });
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use rollgate_core::model::Flag;
    use serde_json::json;

    use super::*;
    use crate::infra::metrics::Metrics;

    fn served(metrics: &Metrics) -> Served {
        let flag: Flag = serde_json::from_value(json!({
            "key": "a", "variants": { "on": true, "off": false },
            "environments": { "production": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } } }
        }))
        .unwrap();
        let compiled = rollgate_core::compile("production", 1, [&flag], []);
        Served::new(compiled.snapshot, None, metrics)
    }

    #[test]
    fn exposures_add_to_the_evaluation_counters_and_unknown_ones_are_listed() {
        let metrics = Metrics::new().unwrap();
        let served = served(&metrics);
        let body = json!({ "exposures": [
            { "flag": "a", "variant": "on", "reason": "STATIC", "count": 5 },
            { "flag": "a", "variant": "maybe", "reason": "STATIC", "count": 2 },
            { "flag": "gone", "variant": "on", "reason": "SPLIT", "count": 1 },
            { "reason": "ERROR", "error_code": "FLAG_NOT_FOUND", "count": 3 }
        ]});
        let recorded = record(&served, body.to_string().as_bytes()).unwrap();
        assert_eq!(recorded.counted, 8);
        assert_eq!(
            recorded.unknown.iter().map(|u| u.index).collect::<Vec<_>>(),
            [1, 2]
        );
        let text = String::from_utf8(metrics.render().unwrap()).unwrap();
        assert!(text.contains(
            r#"rollgate_evaluations_total{environment="production",flag="a",reason="STATIC",variant="on"} 5"#
        ), "{text}");
        assert!(text.contains(
            r#"rollgate_evaluation_errors_total{code="FLAG_NOT_FOUND",environment="production"} 3"#
        ), "{text}");
    }

    #[test]
    fn a_malformed_report_is_refused_whole_with_the_field_named() {
        let metrics = Metrics::new().unwrap();
        let served = served(&metrics);
        for (body, field) in [
            (
                json!({ "exposures": [ { "flag": "a", "variant": "on", "reason": "STATIC", "count": 1 },
                                    { "flag": "a", "variant": "on", "reason": "STATIC", "count": 0 } ] }),
                "exposures[1].count",
            ),
            (
                json!({ "exposures": [ { "flag": "a", "variant": "on", "reason": "MAYBE", "count": 1 } ] }),
                "exposures[0].reason",
            ),
            (
                json!({ "exposures": [ { "reason": "ERROR", "count": 1 } ] }),
                "exposures[0].error_code",
            ),
            (
                json!({ "exposures": [ { "flag": "a", "reason": "SPLIT", "count": 1 } ] }),
                "exposures[0].variant",
            ),
        ] {
            match record(&served, body.to_string().as_bytes()) {
                Err(ParseError::Invalid(errors)) => assert_eq!(errors[0].field, field),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(
            record(&served, br#"{"exposures":[{"flag":"a","count":1,"reason":"STATIC","variant":"on","extra":1}]}"#),
            Err(ParseError::Invalid(_) | ParseError::Syntax(_))
        ));
        let text = String::from_utf8(metrics.render().unwrap()).unwrap();
        assert!(
            !text.contains("rollgate_evaluations_total{"),
            "nothing counted: {text}"
        );
    }
}
