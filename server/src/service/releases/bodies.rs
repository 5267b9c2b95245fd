//! The bodies of release actions, parsed with field-precise errors (and written by the
//! command line). An action's body may be empty (no comment).

use rollgate_core::FieldError;
use rollgate_core::release::WarningCode;
use rollgate_core::validate::{Lines, check_text, parse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::service::ServiceError;

/// Longest comment, reason, incident description or action, in bytes.
pub(crate) const MAX_TEXT: usize = 4096;

/// `{ "comment": "…" }` for every action; `rollback` requires `reason`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionRequest {
    /// Why, for the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Why the release is rolled back (required for `rollback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `start`: the codes of the warnings the caller accepts (see the preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<Vec<String>>,
    /// For `approve`: the function the caller signs off for, when they hold several
    /// the plan requires (otherwise it is found from the release group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

impl ActionRequest {
    /// The warning codes acknowledged: only `start` takes them; each a known code,
    /// once.
    pub(crate) fn acknowledged(&self, start: bool) -> Result<Vec<WarningCode>, ServiceError> {
        let Some(names) = &self.acknowledge else {
            return Ok(Vec::new());
        };
        if !start {
            return Err(ServiceError::invalid(
                "acknowledge",
                "only start takes acknowledgements (of the warnings its preview lists)",
            ));
        }
        let mut errors = Vec::new();
        let mut codes = Vec::new();
        for (index, name) in names.iter().enumerate() {
            match WarningCode::parse(name) {
                Some(code) if codes.contains(&code) => errors.push(FieldError::new(
                    format!("acknowledge[{index}]"),
                    format!("{name:?} is listed twice"),
                )),
                Some(code) => codes.push(code),
                None => {
                    let known: Vec<&str> = WarningCode::ALL.iter().map(|c| c.as_str()).collect();
                    errors.push(FieldError::new(
                        format!("acknowledge[{index}]"),
                        format!("unknown warning code {name:?}; the codes are {known:?}"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(codes)
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }
}

/// `POST /api/v1/releases/{id}/percent`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PercentRequest {
    /// The share of the current stage's audience to expose, e.g. `12.5`.
    pub percent: f64,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `POST /api/v1/releases/{id}/checklist/{index}`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChecklistRequest {
    /// Whether the item is done.
    pub done: bool,
    /// Remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Parses a body; an empty body reads as `{}` when `T` allows it.
pub(crate) fn read<T: DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(parse(b"{}")?);
    }
    Ok(parse(body)?)
}

/// Checks an optional free text: its length, and that it holds nothing but printable
/// characters, tabs and newlines ([`check_text`]).
pub(crate) fn text(field: &str, value: Option<&str>) -> Result<(), ServiceError> {
    match value {
        Some(text) if text.len() > MAX_TEXT => Err(ServiceError::invalid(
            field,
            format!("must be at most {MAX_TEXT} bytes, got {}", text.len()),
        )),
        Some(text) => {
            check_text(text, Lines::Many).map_err(|message| ServiceError::invalid(field, message))
        }
        None => Ok(()),
    }
}

/// Checks a required free text.
pub(crate) fn required(
    field: &str,
    value: Option<&str>,
    what: &str,
) -> Result<String, ServiceError> {
    // Checked as sent: trimming would hide a control character that counts as space.
    self::text(field, value)?;
    match value.map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(ServiceError::invalid(field, format!("is required: {what}"))),
    }
}
