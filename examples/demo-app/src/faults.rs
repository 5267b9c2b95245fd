//! The fault knob: an error rate and an extra latency applied to the treatment cohort
//! only, changed at run time through `POST /faults` (or set at start with flags).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Faults injected into the treatment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Share of treatment requests answered with `500` (0 to 1).
    #[serde(default)]
    pub error_rate: f64,
    /// Extra latency of every treatment request, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
}

impl Faults {
    /// The faults if they make sense, or why not.
    pub fn checked(self) -> Result<Faults, String> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(format!(
                "error_rate must be between 0 and 1, got {}",
                self.error_rate
            ));
        }
        if self.latency_ms > 60_000 {
            return Err(format!(
                "latency_ms must be at most 60000, got {}",
                self.latency_ms
            ));
        }
        Ok(self)
    }

    /// The extra latency.
    pub fn latency(self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }
}

/// The current faults, shared by every request.
#[derive(Debug, Default)]
pub struct Knob {
    error_rate: AtomicU64,
    latency_ms: AtomicU64,
}

impl Knob {
    /// Sets the faults.
    pub fn set(&self, faults: Faults) {
        self.error_rate
            .store(faults.error_rate.to_bits(), Ordering::Relaxed);
        self.latency_ms.store(faults.latency_ms, Ordering::Relaxed);
    }

    /// The faults now.
    pub fn get(&self) -> Faults {
        Faults {
            error_rate: f64::from_bits(self.error_rate.load(Ordering::Relaxed)),
            latency_ms: self.latency_ms.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knob_keeps_what_it_was_set_to_and_refuses_nonsense() {
        let knob = Knob::default();
        assert_eq!(knob.get(), Faults::default());
        let faults = Faults {
            error_rate: 0.25,
            latency_ms: 300,
        };
        knob.set(faults);
        assert_eq!(knob.get(), faults);
        assert!(
            Faults {
                error_rate: 1.5,
                ..faults
            }
            .checked()
            .is_err()
        );
        assert!(
            Faults {
                latency_ms: 70_000,
                ..faults
            }
            .checked()
            .is_err()
        );
    }
}
