//! A compiled snapshot as the server serves it: the core [`Snapshot`] plus the metric
//! handles its evaluations count into, resolved once per (flag, variant, reason) on
//! first use instead of on every request (sharded counters kept by the metrics
//! registry, so counts outlive the snapshot and workers do not contend on them), and
//! likewise the serialized answer of each (flag, variant, reason), which the OFREP
//! handlers copy instead of serializing again.
//!
//! Both are kept per flag and shared with the environment's next `Served` for every
//! flag its snapshot reused (see [`rollgate_core::recompile`]): a write on one flag
//! leaves the others' handles and answers in place.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use prometheus::IntCounter;
use rollgate_core::slots::{ERROR_CODES, error_slot};
use rollgate_core::{ErrorCode, Evaluation, Reason, Slots, Snapshot};

use crate::infra::metrics::{Metrics, ShardedCounter};

/// What is kept for one (flag, variant, reason).
#[derive(Debug, Default)]
struct Outcome {
    counter: OnceLock<Arc<ShardedCounter>>,
    /// The answer as first serialized (boxed: an empty slot then costs 16 bytes, and
    /// 10 000 flags have about 100 000 slots).
    answer: OnceLock<Box<Bytes>>,
}

/// One environment's snapshot with its counters.
#[derive(Debug)]
pub(crate) struct Served {
    /// The compiled snapshot.
    pub snapshot: Snapshot,
    /// Per flag, by [`Slots::within_flag`]: what is kept per variant and reason.
    outcomes: Box<[Arc<[Outcome]>]>,
    errors: [OnceLock<IntCounter>; ERROR_CODES.len()],
    metrics: Metrics,
}

impl Served {
    /// Wraps a snapshot, taking over from `previous` (the environment's `Served` before)
    /// what it kept for the flags the snapshot reused from it.
    pub(crate) fn new(snapshot: Snapshot, previous: Option<&Served>, metrics: &Metrics) -> Served {
        let outcomes = (0..snapshot.len())
            .map(|flag| {
                let reused = previous.and_then(|p| {
                    let theirs = snapshot.reused_from(flag, &p.snapshot)?;
                    p.outcomes.get(theirs).cloned()
                });
                reused.unwrap_or_else(|| {
                    (0..Slots::per_flag(&snapshot, flag))
                        .map(|_| Outcome::default())
                        .collect()
                })
            })
            .collect();
        Served {
            outcomes,
            snapshot,
            errors: Default::default(),
            metrics: metrics.clone(),
        }
    }

    /// Counts one evaluation in `rollgate_evaluations_total` (and the error family).
    #[inline]
    pub(crate) fn count(&self, evaluation: &Evaluation<'_>) {
        self.count_many(evaluation, 1);
    }

    /// Counts `n` identical evaluations.
    pub(crate) fn count_many(&self, evaluation: &Evaluation<'_>, n: u64) {
        if let Some(code) = evaluation.error {
            self.count_error(code, n);
            return;
        }
        if let (Some(flag), Some(variant)) = (evaluation.flag_index(), evaluation.variant_index()) {
            self.count_served(flag, variant, evaluation.reason, n);
        }
    }

    /// Counts `n` failed evaluations with `code` (e.g. reported by an SDK); a code no
    /// evaluation fails with has no counter.
    pub(crate) fn count_error(&self, code: ErrorCode, n: u64) {
        let Some(counter) = error_slot(code).and_then(|slot| self.errors.get(slot)) else {
            return;
        };
        counter
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
    pub(crate) fn count_served(&self, flag: usize, variant: usize, reason: Reason, n: u64) -> bool {
        let Some(outcome) = self.outcome(flag, variant, reason) else {
            return false;
        };
        outcome
            .counter
            .get_or_init(|| {
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

    /// The serialized answer of a successful `evaluation`: made by `make` the first time
    /// its flag, variant and reason are served, shared after. `None` for a failed
    /// evaluation, for a dark launch (its `shadowVariant` depends on the context), or when
    /// `make` fails. Borrowed: a caller copying it into a larger body (bulk evaluation)
    /// does not touch the shared reference count, which both workers would contend on.
    pub(crate) fn answer(
        &self,
        evaluation: &Evaluation<'_>,
        make: impl FnOnce() -> Option<Bytes>,
    ) -> Option<&Bytes> {
        if evaluation.error.is_some() || evaluation.shadow_variant.is_some() {
            return None;
        }
        let cell = &self
            .outcome(
                evaluation.flag_index()?,
                evaluation.variant_index()?,
                evaluation.reason,
            )?
            .answer;
        if let Some(answer) = cell.get() {
            return Some(answer);
        }
        let made = Box::new(make()?);
        Some(cell.get_or_init(|| made))
    }

    #[inline]
    fn outcome(&self, flag: usize, variant: usize, reason: Reason) -> Option<&Outcome> {
        self.outcomes
            .get(flag)?
            .get(Slots::within_flag(variant, reason)?)
    }
}

#[cfg(test)]
mod tests {
    use rollgate_core::model::Flag;
    use rollgate_core::{Context, compile, evaluate};
    use serde_json::json;

    use super::*;

    fn flag(key: &str, serve: &str) -> Flag {
        serde_json::from_value(json!({
            "key": key,
            "variants": { "on": true, "off": false },
            "environments": { "production": {
                "enabled": true, "off_variant": "off", "default": { "variant": serve }
            } }
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_answer_is_made_once_per_flag_variant_and_reason_and_never_for_a_failure() {
        let flags = [flag("a", "on"), flag("b", "off")];
        let snapshot = compile("production", 1, &flags, &[]).snapshot;
        let metrics = Metrics::new().unwrap_or_else(|e| panic!("{e}"));
        let served = Served::new(snapshot, None, &metrics);
        let context = Context::with_targeting_key("user-1");
        let mut made = 0;
        let mut answer = |key: &str, text: &'static str| {
            let evaluation = evaluate(&served.snapshot, key, &context);
            served
                .answer(&evaluation, || {
                    made += 1;
                    Some(Bytes::from_static(text.as_bytes()))
                })
                .cloned()
        };
        assert_eq!(answer("a", "first"), Some(Bytes::from_static(b"first")));
        assert_eq!(answer("a", "second"), Some(Bytes::from_static(b"first")));
        assert_eq!(answer("b", "other"), Some(Bytes::from_static(b"other")));
        assert_eq!(answer("missing", "never"), None);
        assert_eq!(made, 2, "one answer per flag, variant and reason");
    }

    #[test]
    fn counts_survive_a_new_snapshot_of_the_same_environment() {
        let flags = [flag("a", "on")];
        let metrics = Metrics::new().unwrap_or_else(|e| panic!("{e}"));
        let context = Context::with_targeting_key("user-1");
        for _ in 0..2 {
            let served = Served::new(
                compile("production", 1, &flags, &[]).snapshot,
                None,
                &metrics,
            );
            let evaluation = evaluate(&served.snapshot, "a", &context);
            assert_eq!(evaluation.reason, Reason::Static);
            served.count_many(&evaluation, 3);
        }
        let counter = metrics
            .evaluations
            .with_label_values(&["production", "a", "on", "STATIC"]);
        assert_eq!(counter.get(), 6);
        let text = String::from_utf8(metrics.render().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.contains(
                "rollgate_evaluations_total{environment=\"production\",flag=\"a\",reason=\"STATIC\",variant=\"on\"} 6"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_dark_launch_is_never_shared_because_its_shadow_variant_depends_on_the_context() {
        let flags = [flag("a", "off")];
        let snapshot = compile("production", 1, &flags, &[]).snapshot;
        let metrics = Metrics::new().unwrap_or_else(|e| panic!("{e}"));
        let served = Served::new(snapshot, None, &metrics);
        let context = Context::with_targeting_key("user-1");
        let mut evaluation = evaluate(&served.snapshot, "a", &context);
        evaluation.shadow_variant = Some("on");
        let made = served
            .answer(&evaluation, || Some(Bytes::from_static(b"shadow on")))
            .cloned();
        assert_eq!(made, None, "a dark launch is serialized by the caller");
        evaluation.shadow_variant = None;
        let plain = served
            .answer(&evaluation, || Some(Bytes::from_static(b"plain")))
            .cloned();
        assert_eq!(plain, Some(Bytes::from_static(b"plain")));
    }
}
