//! A compiled snapshot as the server serves it: the core [`Snapshot`] plus the metric
//! handles its evaluations count into, resolved once per (flag, variant, reason) on
//! first use instead of on every request.

use std::sync::OnceLock;

use prometheus::IntCounter;
use rollgate_core::{ErrorCode, Evaluation, Reason, Snapshot};

use crate::metrics::Metrics;

/// Reasons that serve a variant, in slot order.
const SERVING_REASONS: [Reason; 5] = [
    Reason::Static,
    Reason::Default,
    Reason::TargetingMatch,
    Reason::Split,
    Reason::Disabled,
];
/// Error codes, in slot order.
const ERRORS: [ErrorCode; 3] = [
    ErrorCode::FlagNotFound,
    ErrorCode::TargetingKeyMissing,
    ErrorCode::InvalidContext,
];

/// One environment's snapshot with its counters.
#[derive(Debug)]
pub struct Served {
    /// The compiled snapshot.
    pub snapshot: Snapshot,
    /// Per flag: first slot of its counters.
    offsets: Box<[u32]>,
    slots: Box<[OnceLock<IntCounter>]>,
    errors: [OnceLock<IntCounter>; 3],
    metrics: Metrics,
}

impl Served {
    /// Wraps a snapshot.
    pub fn new(snapshot: Snapshot, metrics: &Metrics) -> Served {
        let mut offsets = Vec::with_capacity(snapshot.len());
        let mut total = 0u32;
        for index in 0..snapshot.len() {
            offsets.push(total);
            let variants = snapshot.variant_names(index).count() as u32;
            total += variants * SERVING_REASONS.len() as u32;
        }
        Served {
            snapshot,
            offsets: offsets.into(),
            slots: (0..total).map(|_| OnceLock::new()).collect(),
            errors: Default::default(),
            metrics: metrics.clone(),
        }
    }

    /// Counts one evaluation in `rollgate_evaluations_total` (and the error family).
    #[inline]
    pub fn count(&self, evaluation: &Evaluation<'_>) {
        self.count_many(evaluation, 1);
    }

    /// Counts `n` identical evaluations.
    pub fn count_many(&self, evaluation: &Evaluation<'_>, n: u64) {
        if let Some(code) = evaluation.error {
            self.count_error(code, n);
            return;
        }
        if let (Some(flag), Some(variant)) = (evaluation.flag_index(), evaluation.variant_index()) {
            self.count_served(flag, variant, evaluation.reason, n);
        }
    }

    /// Counts `n` failed evaluations with `code` (e.g. reported by an SDK).
    pub fn count_error(&self, code: ErrorCode, n: u64) {
        let slot = ERRORS.iter().position(|c| *c == code).unwrap_or(0);
        self.errors[slot]
            .get_or_init(|| {
                self.metrics
                    .evaluation_errors
                    .with_label_values(&[self.snapshot.environment(), code.as_str()])
            })
            .inc_by(n);
    }

    /// Counts `n` evaluations of the flag at `flag` that served its variant at `variant`
    /// with `reason` (e.g. exposures reported by an SDK). Returns false, counting
    /// nothing, when there is no such flag, variant or serving reason.
    pub fn count_served(&self, flag: usize, variant: usize, reason: Reason, n: u64) -> bool {
        let Some(reason_slot) = SERVING_REASONS.iter().position(|r| *r == reason) else {
            return false;
        };
        let Some(&offset) = self.offsets.get(flag) else {
            return false;
        };
        let end = self
            .offsets
            .get(flag + 1)
            .map_or(self.slots.len(), |&e| e as usize);
        let slot = offset as usize + variant * SERVING_REASONS.len() + reason_slot;
        let Some(cell) = self.slots.get(slot).filter(|_| slot < end) else {
            return false;
        };
        cell.get_or_init(|| {
            let key = self.snapshot.flag_key(flag).unwrap_or_default();
            let name = self
                .snapshot
                .variant_names(flag)
                .nth(variant)
                .unwrap_or_default();
            self.metrics.evaluations.with_label_values(&[
                self.snapshot.environment(),
                key,
                name,
                reason.as_str(),
            ])
        })
        .inc_by(n);
        true
    }
}
