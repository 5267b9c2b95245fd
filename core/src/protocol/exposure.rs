//! Exposures an SDK reports: how often each flag served each variant, for which reason,
//! since its last report, so the server counts local evaluations with its own.
//!
//! `{"exposures":[{"flag":"new-checkout","variant":"on","reason":"SPLIT","count":12},
//! {"reason":"ERROR","error_code":"FLAG_NOT_FOUND","count":1}]}`
//!
//! Reasons and error codes travel by name ([`Reason::as_str`], [`ErrorCode::as_str`]):
//! what the server received is checked whole by [`Report::outcomes`], which refuses a
//! malformed report — an unknown reason or error code, a count of 0 or above
//! [`MAX_COUNT`], more than [`MAX_ENTRIES`] entries — naming the offending field.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::ofrep::{ErrorCode, Reason};
use crate::slots::ERROR_CODES;

/// Most entries in one report.
pub const MAX_ENTRIES: usize = 10_000;
/// Largest count of one entry.
pub const MAX_COUNT: u64 = 1_000_000_000;

/// A report of exposures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Counts since the previous report.
    pub exposures: Vec<Exposure>,
}

/// How often one flag served one variant for one reason (or failed with one code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// The flag (may be left out for an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// The variant served (absent for an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// `STATIC`, `DEFAULT`, `TARGETING_MATCH`, `SPLIT`, `DISABLED` or `ERROR`.
    pub reason: Cow<'static, str>,
    /// For `ERROR`: `FLAG_NOT_FOUND`, `TARGETING_KEY_MISSING` or `INVALID_CONTEXT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<Cow<'static, str>>,
    /// How many evaluations, 1 to 1 000 000 000.
    pub count: u64,
}

/// What one entry of a report says, once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The flag served the variant for the reason (never `ERROR`).
    Served {
        /// The flag.
        flag: &'a str,
        /// The variant served.
        variant: &'a str,
        /// Why.
        reason: Reason,
    },
    /// Evaluations failed with this code (one of [`ERROR_CODES`]).
    Failed(ErrorCode),
}

impl Report {
    /// What every entry says, in order; or the first problem, with its field's path. A
    /// report is taken whole or not at all, so it is checked whole before anything is
    /// counted.
    pub fn outcomes(&self) -> Result<Vec<Outcome<'_>>, FieldError> {
        if self.exposures.len() > MAX_ENTRIES {
            return Err(FieldError::new(
                "exposures",
                format!("at most {MAX_ENTRIES} entries per report; send the rest in another"),
            ));
        }
        self.exposures
            .iter()
            .enumerate()
            .map(|(index, exposure)| exposure.outcome(index))
            .collect()
    }
}

impl Exposure {
    /// What the entry at `index` says.
    fn outcome(&self, index: usize) -> Result<Outcome<'_>, FieldError> {
        let at = |field: &str| format!("exposures[{index}].{field}");
        let error = Reason::Error.as_str();
        if !(1..=MAX_COUNT).contains(&self.count) {
            return Err(FieldError::new(
                at("count"),
                format!("must be between 1 and {MAX_COUNT}"),
            ));
        }
        let reason = Reason::named(&self.reason).ok_or_else(|| {
            let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
            FieldError::new(at("reason"), format!("must be one of {}", names.join(", ")))
        })?;
        if reason == Reason::Error {
            let code = self
                .error_code
                .as_deref()
                .and_then(|name| ERROR_CODES.into_iter().find(|code| code.as_str() == name));
            return code.map(Outcome::Failed).ok_or_else(|| {
                let names: Vec<&str> = ERROR_CODES.iter().map(|c| c.as_str()).collect();
                let (last, others) = names.split_last().unwrap_or((&"", &[]));
                FieldError::new(
                    at("error_code"),
                    format!(
                        "an {error} needs error_code {} or {last}",
                        others.join(", ")
                    ),
                )
            });
        }
        if self.error_code.is_some() {
            return Err(FieldError::new(
                at("error_code"),
                format!("only an {error} has an error_code"),
            ));
        }
        let flag = self
            .flag
            .as_deref()
            .ok_or_else(|| FieldError::new(at("flag"), "is required"))?;
        let variant = self.variant.as_deref().ok_or_else(|| {
            FieldError::new(
                at("variant"),
                format!("is required unless the reason is {error}"),
            )
        })?;
        Ok(Outcome::Served {
            flag,
            variant,
            reason,
        })
    }
}

/// What was done with a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recorded {
    /// Evaluations added to the counters.
    pub counted: u64,
    /// Entries not counted because the flag or variant is not served here.
    pub unknown: Vec<UnknownExposure>,
}

/// An entry naming a flag or variant not served in the key's environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnknownExposure {
    /// Its position in `exposures`.
    pub index: usize,
    /// The flag named.
    pub flag: Option<String>,
    /// The variant named.
    pub variant: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn report(report: serde_json::Value) -> Report {
        serde_json::from_value(report).unwrap()
    }

    #[test]
    fn entries_read_as_served_variants_and_failures() {
        let report = report(json!({ "exposures": [
            { "flag": "a", "variant": "on", "reason": "SPLIT", "count": 3 },
            { "reason": "ERROR", "error_code": "TARGETING_KEY_MISSING", "count": 1 }
        ]}));
        assert_eq!(
            report.outcomes(),
            Ok(vec![
                Outcome::Served {
                    flag: "a",
                    variant: "on",
                    reason: Reason::Split
                },
                Outcome::Failed(ErrorCode::TargetingKeyMissing)
            ])
        );
    }

    #[test]
    fn the_first_problem_is_named_with_its_field_and_the_names_it_allows() {
        for (entry, field, message) in [
            (
                json!({ "flag": "a", "variant": "on", "reason": "STATIC", "count": 0 }),
                "count",
                "must be between 1 and 1000000000",
            ),
            (
                json!({ "flag": "a", "variant": "on", "reason": "MAYBE", "count": 1 }),
                "reason",
                "must be one of STATIC, DEFAULT, TARGETING_MATCH, SPLIT, DISABLED, ERROR",
            ),
            (
                json!({ "reason": "ERROR", "error_code": "PARSE_ERROR", "count": 1 }),
                "error_code",
                "an ERROR needs error_code FLAG_NOT_FOUND, TARGETING_KEY_MISSING or INVALID_CONTEXT",
            ),
            (
                json!({ "flag": "a", "variant": "on", "reason": "STATIC", "error_code": "GENERAL", "count": 1 }),
                "error_code",
                "only an ERROR has an error_code",
            ),
            (
                json!({ "variant": "on", "reason": "STATIC", "count": 1 }),
                "flag",
                "is required",
            ),
            (
                json!({ "flag": "a", "reason": "SPLIT", "count": 1 }),
                "variant",
                "is required unless the reason is ERROR",
            ),
        ] {
            let ok = json!({ "flag": "a", "variant": "on", "reason": "STATIC", "count": 1 });
            let error = report(json!({ "exposures": [ok, entry] }))
                .outcomes()
                .unwrap_err();
            assert_eq!(error.field, format!("exposures[1].{field}"));
            assert_eq!(error.message, message);
        }
        let many = vec![
            json!({ "reason": "ERROR", "error_code": "FLAG_NOT_FOUND", "count": 1 });
            MAX_ENTRIES + 1
        ];
        assert_eq!(
            report(json!({ "exposures": many }))
                .outcomes()
                .unwrap_err()
                .field,
            "exposures"
        );
    }
}
