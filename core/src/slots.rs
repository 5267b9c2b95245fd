//! Evaluation slots: one index per (flag, variant, serving reason) of a snapshot, so
//! that what is kept per outcome — the server's metric handles and shared answers, the
//! SDK's exposure counters — lives in flat arrays addressed without a lookup.

use crate::compile::Snapshot;
use crate::evaluate::Evaluation;
use crate::ofrep::{ErrorCode, Reason};

/// The reasons that serve a variant, in slot order (every reason but `ERROR`).
pub const SERVING_REASONS: [Reason; 5] = [
    Reason::Static,
    Reason::Default,
    Reason::TargetingMatch,
    Reason::Split,
    Reason::Disabled,
];

/// The error codes an evaluation fails with, in slot order (see [`error_slot`]).
pub const ERROR_CODES: [ErrorCode; 3] = [
    ErrorCode::FlagNotFound,
    ErrorCode::TargetingKeyMissing,
    ErrorCode::InvalidContext,
];

/// The slot of an error code in an array of [`ERROR_CODES`]`.len()` entries; `None` for
/// the codes no evaluation fails with.
#[inline]
pub fn error_slot(code: ErrorCode) -> Option<usize> {
    match code {
        ErrorCode::FlagNotFound => Some(0),
        ErrorCode::TargetingKeyMissing => Some(1),
        ErrorCode::InvalidContext => Some(2),
        ErrorCode::ParseError
        | ErrorCode::TypeMismatch
        | ErrorCode::NotReady
        | ErrorCode::General => None,
    }
}

#[inline]
fn reason_slot(reason: Reason) -> Option<usize> {
    match reason {
        Reason::Static => Some(0),
        Reason::Default => Some(1),
        Reason::TargetingMatch => Some(2),
        Reason::Split => Some(3),
        Reason::Disabled => Some(4),
        Reason::Error => None,
    }
}

/// The slot layout of one snapshot: each flag's variants × [`SERVING_REASONS`], flag
/// after flag.
#[derive(Clone, Debug)]
pub struct Slots {
    /// Per flag: its first slot.
    offsets: Box<[u32]>,
    len: usize,
}

impl Slots {
    /// The layout of `snapshot`.
    pub fn of(snapshot: &Snapshot) -> Slots {
        let mut offsets = Vec::with_capacity(snapshot.len());
        let mut total = 0usize;
        for flag in 0..snapshot.len() {
            offsets.push(u32::try_from(total).unwrap_or(u32::MAX));
            total += Slots::per_flag(snapshot, flag);
        }
        Slots {
            offsets: offsets.into(),
            len: total,
        }
    }

    /// How many slots the flag at `flag` of `snapshot` has (for a layout kept per flag).
    pub fn per_flag(snapshot: &Snapshot, flag: usize) -> usize {
        snapshot.variant_names(flag).count() * SERVING_REASONS.len()
    }

    /// The slot of the variant at `variant` served for `reason` among one flag's slots,
    /// counted from that flag's first; `None` for `ERROR`.
    #[inline]
    pub fn within_flag(variant: usize, reason: Reason) -> Option<usize> {
        Some(variant * SERVING_REASONS.len() + reason_slot(reason)?)
    }

    /// How many slots there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none (no flag).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot of the flag at `flag` serving its variant at `variant` for `reason`;
    /// `None` for `ERROR` or positions outside the snapshot.
    #[inline]
    pub fn slot(&self, flag: usize, variant: usize, reason: Reason) -> Option<usize> {
        let within = Slots::within_flag(variant, reason)?;
        let offset = *self.offsets.get(flag)? as usize;
        let end = self.offsets.get(flag + 1).map_or(self.len, |&e| e as usize);
        let slot = offset + within;
        (slot < end).then_some(slot)
    }

    /// The slot of a successful evaluation; `None` for a failed one.
    #[inline]
    pub fn of_evaluation(&self, evaluation: &Evaluation<'_>) -> Option<usize> {
        if evaluation.error.is_some() {
            return None;
        }
        self.slot(
            evaluation.flag_index()?,
            evaluation.variant_index()?,
            evaluation.reason,
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Flag;
    use crate::{Context, compile, evaluate};

    fn flag(key: &str, variants: &[&str]) -> Flag {
        let variants: serde_json::Map<String, serde_json::Value> = variants
            .iter()
            .map(|v| ((*v).to_owned(), json!(v)))
            .collect();
        let first = variants.keys().next().cloned().unwrap_or_default();
        serde_json::from_value(json!({
            "key": key, "variants": variants,
            "environments": { "production": {
                "enabled": true, "off_variant": first, "default": { "variant": first } } }
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_flag_variant_and_serving_reason_has_its_own_slot() {
        let flags = [flag("a", &["x", "y"]), flag("b", &["p", "q", "r"])];
        let snapshot = compile("production", 1, &flags, &[]).snapshot;
        let slots = Slots::of(&snapshot);
        assert_eq!(slots.len(), (2 + 3) * SERVING_REASONS.len());
        let mut seen = std::collections::BTreeSet::new();
        for (flag, variants) in [(0, 2), (1, 3)] {
            for variant in 0..variants {
                for reason in SERVING_REASONS {
                    let slot = slots.slot(flag, variant, reason);
                    assert!(slot.is_some_and(|s| s < slots.len() && seen.insert(s)));
                }
            }
        }
        assert_eq!(slots.slot(0, 2, Reason::Static), None, "no third variant");
        assert_eq!(slots.slot(2, 0, Reason::Static), None, "no third flag");
        assert_eq!(slots.slot(0, 0, Reason::Error), None);
    }

    #[test]
    fn an_evaluation_finds_its_slot_and_a_failure_has_none() {
        let flags = [flag("a", &["x", "y"])];
        let snapshot = compile("production", 1, &flags, &[]).snapshot;
        let slots = Slots::of(&snapshot);
        let context = Context::with_targeting_key("user-1");
        let served = evaluate(&snapshot, "a", &context);
        assert_eq!(
            slots.of_evaluation(&served),
            slots.slot(0, 0, served.reason)
        );
        let missing = evaluate(&snapshot, "missing", &context);
        assert_eq!(slots.of_evaluation(&missing), None);
        for (i, code) in ERROR_CODES.into_iter().enumerate() {
            assert_eq!(error_slot(code), Some(i));
        }
        assert_eq!(error_slot(ErrorCode::ParseError), None);
        for (i, reason) in SERVING_REASONS.into_iter().enumerate() {
            assert_eq!(reason_slot(reason), Some(i));
        }
    }
}
