//! Counters that many threads increment without sharing a cache line: each counter keeps
//! one cache-line-aligned shard per counting thread (up to a few, then one shared), and
//! a [`CounterFamily`] sums the shards when Prometheus scrapes, exposing the same counter
//! family an `IntCounterVec` would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, LabelPair, Metric, MetricFamily, MetricType};

/// Shards per counter that a single thread owns: the first [`SHARDS`] threads to count
/// each get one for good; later threads share one more, the overflow shard.
pub(crate) const SHARDS: usize = 8;
/// The shard of every thread beyond the first [`SHARDS`].
const OVERFLOW: usize = SHARDS;

/// One shard, alone on its cache line so that two cores never write the same line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Shard(AtomicU64);

/// A monotonic counter split into shards; a thread always adds to its own. An owned
/// shard has one writer, so it is added to with a plain load and store (no locked
/// read-modify-write); only the overflow shard, shared, needs `fetch_add`.
#[derive(Debug, Default)]
pub(crate) struct ShardedCounter {
    shards: [Shard; SHARDS + 1],
}

impl ShardedCounter {
    /// Adds `n` in the calling thread's shard.
    #[inline]
    pub(crate) fn inc_by(&self, n: u64) {
        let index = shard_of_this_thread();
        let shard = &self.shards[index].0;
        if index == OVERFLOW {
            shard.fetch_add(n, Ordering::Relaxed);
        } else {
            // Only this thread writes this shard: no other write can come in between.
            let total = shard.load(Ordering::Relaxed).wrapping_add(n);
            shard.store(total, Ordering::Relaxed);
        }
    }

    /// The total over every shard.
    pub(crate) fn get(&self) -> u64 {
        self.shards.iter().fold(0u64, |sum, shard| {
            sum.wrapping_add(shard.0.load(Ordering::Relaxed))
        })
    }
}

/// The shard of the calling thread, given on its first count: a shard of its own while
/// any is left (never given to another thread, even after this one ends), else overflow.
#[inline]
fn shard_of_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = {
            let index = NEXT.fetch_add(1, Ordering::Relaxed);
            if index < SHARDS { index } else { OVERFLOW }
        };
    }
    SHARD.with(|shard| *shard)
}

/// A labelled family of sharded counters, registered in a Prometheus registry as one
/// counter family. Cloning shares the counters.
#[derive(Clone, Debug)]
pub(crate) struct CounterFamily {
    inner: Arc<Family>,
}

#[derive(Debug)]
struct Family {
    desc: Desc,
    counters: RwLock<HashMap<Vec<String>, Arc<ShardedCounter>>>,
}

impl CounterFamily {
    /// A family named `name` with one label per entry of `labels`.
    pub(crate) fn new(
        name: &str,
        help: &str,
        labels: &[&str],
    ) -> Result<CounterFamily, prometheus::Error> {
        let desc = Desc::new(
            name.to_owned(),
            help.to_owned(),
            labels.iter().map(|label| (*label).to_owned()).collect(),
            HashMap::new(),
        )?;
        Ok(CounterFamily {
            inner: Arc::new(Family {
                desc,
                counters: RwLock::default(),
            }),
        })
    }

    /// The counter of these label values (in label order), made on first use. The same
    /// values always give the same counter, so counts outlive whoever holds it.
    pub(crate) fn with_label_values(&self, values: &[&str]) -> Arc<ShardedCounter> {
        let key: Vec<String> = values.iter().map(|value| (*value).to_owned()).collect();
        if let Some(counter) = self
            .inner
            .counters
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Arc::clone(counter);
        }
        let mut counters = self
            .inner
            .counters
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(counters.entry(key).or_default())
    }
}

impl Collector for CounterFamily {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.inner.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let desc = &self.inner.desc;
        let counters = self
            .inner
            .counters
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let metrics = counters
            .iter()
            .map(|(values, counter)| {
                let mut labels: Vec<LabelPair> = desc
                    .variable_labels
                    .iter()
                    .zip(values)
                    .map(|(name, value)| {
                        let mut pair = LabelPair::default();
                        pair.set_name(name.clone());
                        pair.set_value(value.clone());
                        pair
                    })
                    .collect();
                labels.sort_by(|a, b| a.name().cmp(b.name()));
                let mut value = Counter::default();
                value.set_value(counter.get() as f64);
                let mut metric = Metric::from_label(labels);
                metric.set_counter(value);
                metric
            })
            .collect();
        let mut family = MetricFamily::default();
        family.set_name(desc.fq_name.clone());
        family.set_help(desc.help.clone());
        family.set_field_type(MetricType::COUNTER);
        family.set_metric(metrics);
        vec![family]
    }
}

#[cfg(test)]
mod tests {
    use prometheus::{Encoder, IntCounterVec, Opts, Registry, TextEncoder};

    use super::*;

    #[test]
    fn increments_from_many_threads_sum_exactly() {
        // More threads than owned shards: both the owned and the overflow path count.
        let counter = Arc::new(ShardedCounter::default());
        let threads: Vec<_> = (0..SHARDS + 4)
            .map(|_| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        counter.inc_by(1);
                    }
                    counter.inc_by(5);
                })
            })
            .collect();
        for thread in threads {
            thread
                .join()
                .unwrap_or_else(|_| panic!("a counting thread panicked"));
        }
        assert_eq!(counter.get(), (SHARDS as u64 + 4) * 10_005);
    }

    #[test]
    fn the_same_label_values_give_the_same_counter() {
        let family =
            CounterFamily::new("t_total", "help", &["a", "b"]).unwrap_or_else(|e| panic!("{e}"));
        family.with_label_values(&["x", "y"]).inc_by(2);
        family.with_label_values(&["x", "y"]).inc_by(3);
        assert_eq!(family.with_label_values(&["x", "y"]).get(), 5);
        assert_eq!(family.with_label_values(&["x", "z"]).get(), 0);
    }

    fn render(registry: &Registry) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(out).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_exposition_is_the_one_an_int_counter_vec_gives() {
        let labels = ["environment", "flag", "variant", "reason"];
        let (name, help) = ("rollgate_evaluations_total", "Flag evaluations served.");
        let sharded = Registry::new();
        let family = CounterFamily::new(name, help, &labels).unwrap_or_else(|e| panic!("{e}"));
        sharded
            .register(Box::new(family.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let plain = Registry::new();
        let vec =
            IntCounterVec::new(Opts::new(name, help), &labels).unwrap_or_else(|e| panic!("{e}"));
        plain
            .register(Box::new(vec.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        for (values, n) in [
            (["production", "b", "on", "SPLIT"], 7),
            (["production", "a", "off", "DEFAULT"], 2),
            (["staging", "a", "on", "STATIC"], 1),
        ] {
            family.with_label_values(&values).inc_by(n);
            vec.with_label_values(&values).inc_by(n);
        }
        let text = render(&sharded);
        assert!(
            text.contains("# TYPE rollgate_evaluations_total counter"),
            "{text}"
        );
        assert_eq!(text, render(&plain));
    }
}
