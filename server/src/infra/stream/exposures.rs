//! Exposures reported by SDKs (`rollgate_core::protocol::exposure`): how often each flag
//! served each variant, for which reason, since the SDK's last report. They are added to
//! `rollgate_evaluations_total` (and the error family) — the same counters OFREP
//! evaluations count into — so the canary controller checks sample ratios in one place,
//! whichever way clients evaluate.
//!
//! The body is at most `limits.max_body_bytes`. A malformed report is refused whole with
//! the offending field's path, and nothing is counted. A well-formed entry naming a flag
//! or variant this environment does not serve (deleted or changed since the SDK
//! evaluated it) is not counted — an SDK key must not be able to create label series
//! at will — and is listed in the answer's `unknown`.

use rollgate_core::ParseError;
use rollgate_core::protocol::exposure::{Outcome, Recorded, Report, UnknownExposure};

use crate::infra::hub::Served;

/// Parses, checks and counts a report into `served`'s counters; a report that does not
/// parse, or names a field wrongly, counts nothing.
pub(crate) fn record(served: &Served, body: &[u8]) -> Result<Recorded, ParseError> {
    let report: Report = rollgate_core::validate::parse(body)?;
    let outcomes = report
        .outcomes()
        .map_err(|error| ParseError::Invalid(vec![error]))?;
    let mut recorded = Recorded::default();
    let snapshot = &served.snapshot;
    for (index, (outcome, exposure)) in outcomes.into_iter().zip(&report.exposures).enumerate() {
        let counted = match outcome {
            Outcome::Failed(code) => {
                served.count_error(code, exposure.count);
                true
            }
            Outcome::Served {
                flag,
                variant,
                reason,
            } => snapshot
                .flag_index(flag)
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
