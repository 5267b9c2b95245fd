//! Exposure counting: how often each flag served each variant, for which reason.
//!
//! Each compiled snapshot carries one atomic counter per (flag, variant, reason) and per
//! error code, addressed by the snapshot's positions, so counting costs one relaxed
//! `fetch_add` and no lookup or allocation. The background flush takes the counts of the
//! current snapshot and of the snapshots replaced since the last flush, merges them by
//! name, and reports them to `POST /sdk/v1/exposures`; a report that could not be sent
//! is kept (bounded) and merged into the next. An evaluation racing a snapshot swap at
//! the very instant its old snapshot is flushed for the last time can be missed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

pub use rollgate_core::protocol::exposure::Exposure;
use rollgate_core::slots::{ERROR_CODES, SERVING_REASONS, error_slot};
use rollgate_core::{Evaluation, Reason, Slots, Snapshot};

use crate::ruleset::Loaded;

/// Most distinct entries kept while the server cannot be reached.
const MAX_PENDING: usize = 10_000;

/// The counters of one snapshot.
#[derive(Debug)]
pub struct Counters {
    slots: Slots,
    served: Box<[AtomicU64]>,
    errors: [AtomicU64; ERROR_CODES.len()],
}

impl Counters {
    /// Zeroed counters shaped like `snapshot`.
    pub fn for_snapshot(snapshot: &Snapshot) -> Counters {
        let slots = Slots::of(snapshot);
        Counters {
            served: (0..slots.len()).map(|_| AtomicU64::new(0)).collect(),
            slots,
            errors: Default::default(),
        }
    }

    /// Counts one evaluation.
    #[inline]
    pub fn count(&self, evaluation: &Evaluation<'_>) {
        if let Some(code) = evaluation.error {
            if let Some(counter) = error_slot(code).and_then(|slot| self.errors.get(slot)) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        if let Some(counter) = self
            .slots
            .of_evaluation(evaluation)
            .and_then(|slot| self.served.get(slot))
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Takes the counts (leaving zeros) into `into`, by name.
    fn drain(&self, snapshot: &Snapshot, into: &mut Tally) {
        for flag in 0..snapshot.len() {
            let key = snapshot.flag_key(flag).unwrap_or_default();
            for (variant, name) in snapshot.variant_names(flag).enumerate() {
                for reason in SERVING_REASONS {
                    let n = self
                        .slots
                        .slot(flag, variant, reason)
                        .and_then(|slot| self.served.get(slot))
                        .map_or(0, |c| c.swap(0, Ordering::Relaxed));
                    if n > 0 {
                        into.add(Some(key), Some(name), reason.as_str().into(), None, n);
                    }
                }
            }
        }
        for (code, counter) in ERROR_CODES.iter().zip(&self.errors) {
            let n = counter.swap(0, Ordering::Relaxed);
            if n > 0 {
                into.add(
                    None,
                    None,
                    Reason::Error.as_str().into(),
                    Some(code.as_str().into()),
                    n,
                );
            }
        }
    }
}

/// A name of OpenFeature's vocabulary, as a report carries it.
type Name = Cow<'static, str>;

type Key = (Option<String>, Option<String>, Name, Option<Name>);

/// Counts merged by name.
#[derive(Debug, Default)]
struct Tally(BTreeMap<Key, u64>);

impl Tally {
    fn add(
        &mut self,
        flag: Option<&str>,
        variant: Option<&str>,
        reason: Name,
        code: Option<Name>,
        n: u64,
    ) {
        let key = (
            flag.map(str::to_owned),
            variant.map(str::to_owned),
            reason,
            code,
        );
        if self.0.len() < MAX_PENDING || self.0.contains_key(&key) {
            *self.0.entry(key).or_insert(0) += n;
        }
    }
}

/// The counts waiting to be reported.
#[derive(Debug, Default)]
pub struct Exposures {
    /// Snapshots replaced since the last flush.
    retired: Mutex<Vec<Arc<Loaded>>>,
    /// Counts taken but not yet accepted by the server.
    pending: Mutex<Tally>,
}

impl Exposures {
    /// Keeps `loaded`'s counts for the next flush (it was just replaced).
    pub fn retire(&self, loaded: Arc<Loaded>) {
        self.retired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(loaded);
    }

    /// Takes every count so far (current and retired snapshots, and what an earlier
    /// report failed to deliver) as a report; call [`Exposures::restore`] if it could
    /// not be delivered.
    pub fn take(&self, current: &Loaded) -> Vec<Exposure> {
        let retired =
            std::mem::take(&mut *self.retired.lock().unwrap_or_else(PoisonError::into_inner));
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        for loaded in &retired {
            loaded.counters.drain(&loaded.snapshot, &mut pending);
        }
        current.counters.drain(&current.snapshot, &mut pending);
        std::mem::take(&mut pending.0)
            .into_iter()
            .map(|((flag, variant, reason, error_code), count)| Exposure {
                flag,
                variant,
                reason,
                error_code,
                count,
            })
            .collect()
    }

    /// Puts back a report that could not be delivered.
    pub fn restore(&self, report: Vec<Exposure>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        for e in report {
            pending.add(
                e.flag.as_deref(),
                e.variant.as_deref(),
                e.reason,
                e.error_code,
                e.count,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use rollgate_core::model::Flag;
    use rollgate_core::{Context, compile, evaluate};
    use serde_json::json;

    use super::*;

    fn loaded(default: &str) -> Loaded {
        let flag: Flag = serde_json::from_value(json!({
            "key": "a", "variants": { "on": true, "off": false },
            "environments": { "production": { "enabled": true, "off_variant": "off", "default": { "variant": default } } }
        }))
        .unwrap();
        let snapshot = compile("production", 1, [&flag], []).snapshot;
        let counters = Counters::for_snapshot(&snapshot);
        Loaded { snapshot, counters }
    }

    fn count(loaded: &Loaded, flag: &str, times: usize) {
        for _ in 0..times {
            loaded
                .counters
                .count(&evaluate(&loaded.snapshot, flag, &Context::new()));
        }
    }

    #[test]
    fn counts_from_replaced_snapshots_and_failed_reports_are_merged_into_the_next_report() {
        let exposures = Exposures::default();
        let old = Arc::new(loaded("on"));
        count(&old, "a", 3);
        count(&old, "missing", 1);
        exposures.retire(Arc::clone(&old));
        let current = loaded("off");
        count(&current, "a", 2);
        let report = exposures.take(&current);
        assert_eq!(
            report,
            [
                Exposure {
                    flag: None,
                    variant: None,
                    reason: "ERROR".into(),
                    error_code: Some("FLAG_NOT_FOUND".into()),
                    count: 1
                },
                Exposure {
                    flag: Some("a".into()),
                    variant: Some("off".into()),
                    reason: "STATIC".into(),
                    error_code: None,
                    count: 2
                },
                Exposure {
                    flag: Some("a".into()),
                    variant: Some("on".into()),
                    reason: "STATIC".into(),
                    error_code: None,
                    count: 3
                },
            ]
        );
        assert!(exposures.take(&current).is_empty(), "counts are taken once");
        exposures.restore(report);
        count(&current, "a", 1);
        let again = exposures.take(&current);
        assert_eq!(again.iter().map(|e| e.count).sum::<u64>(), 7);
    }
}
