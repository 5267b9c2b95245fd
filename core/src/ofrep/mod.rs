//! OpenFeature's vocabulary as Rollgate speaks it on every wire: the reasons a value was
//! served and the error codes of a failure, each spelled here and nowhere else. The
//! server's OFREP answers and metrics, the exposure reports of `crate::protocol` and the
//! SDK's results all name them through [`Reason::as_str`] and [`ErrorCode::as_str`].
//!
//! [`request_context`] reads the body of an OFREP evaluation request.

mod request;

pub use request::{RequestError, request_context};

/// Why a value was served — OpenFeature's reason names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The flag has no rules; its default serve is a single variant.
    Static,
    /// Rules exist but none matched; the default serve is a single variant.
    Default,
    /// A rule matched and serves a single variant.
    TargetingMatch,
    /// A rollout chose the variant (in a rule or the default).
    Split,
    /// The flag is disabled in this environment.
    Disabled,
    /// Evaluation failed; see the error code.
    Error,
}

impl Reason {
    /// OpenFeature's name for the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::Error => "ERROR",
        }
    }

    /// The reason named `name` (see [`Reason::as_str`]).
    pub fn named(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Every reason, for pre-registering metrics.
    pub const ALL: [Reason; 6] = [
        Reason::Static,
        Reason::Default,
        Reason::TargetingMatch,
        Reason::Split,
        Reason::Disabled,
        Reason::Error,
    ];
}

/// OpenFeature's error codes, as far as Rollgate gives them: an evaluation fails with
/// the first three (see `crate::slots::ERROR_CODES`), an OFREP request with those or the
/// protocol's own, and the SDK adds what only a provider in the application can say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `FLAG_NOT_FOUND`: the flag is not configured in this environment.
    FlagNotFound,
    /// `TARGETING_KEY_MISSING`: a rollout was reached but the context has no value for
    /// the stickiness attribute.
    TargetingKeyMissing,
    /// `INVALID_CONTEXT`: the context is malformed (e.g. a targeting key that is not a
    /// string).
    InvalidContext,
    /// `PARSE_ERROR`: the request body is not JSON, or not an OFREP request.
    ParseError,
    /// `TYPE_MISMATCH`: the flag's variants are not of the type asked for (the SDK).
    TypeMismatch,
    /// `PROVIDER_NOT_READY`: no ruleset loaded yet (the SDK).
    NotReady,
    /// `GENERAL`: anything else — no credential, no such endpoint, a server fault.
    General,
}

impl ErrorCode {
    /// OpenFeature's name for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::NotReady => "PROVIDER_NOT_READY",
            ErrorCode::General => "GENERAL",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_found_by_its_name() {
        for reason in Reason::ALL {
            assert_eq!(Reason::named(reason.as_str()), Some(reason));
        }
        assert_eq!(Reason::named("static"), None);
    }
}
