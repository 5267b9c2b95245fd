//! Durations as release plans write them: `"1s"`, `"90s"`, `"15m"`, `"2h"`, `"1h30m"`.
//!
//! Whole seconds only, at least one second (so tests and demos can run in seconds) and
//! at most [`Duration::MAX_SECONDS`]. A duration is written back in its shortest exact
//! form (`"120s"` reads back as `"2m"`), which is what every part of Rollgate shows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of whole seconds, ≥ 1 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

impl Duration {
    /// The longest duration accepted: 366 days.
    pub const MAX_SECONDS: u64 = 366 * 86_400;

    /// A duration of `seconds`, if within `1 ..= MAX_SECONDS`.
    pub fn from_secs(seconds: u64) -> Option<Duration> {
        (1..=Duration::MAX_SECONDS)
            .contains(&seconds)
            .then_some(Duration(seconds))
    }

    /// The duration in seconds.
    pub fn as_secs(self) -> u64 {
        self.0
    }

    /// The duration as a `time::Duration`, for arithmetic on timestamps.
    pub fn to_time(self) -> time::Duration {
        // MAX_SECONDS fits an i64 by far.
        time::Duration::seconds(self.0 as i64)
    }
}

/// Why a duration does not parse, in words for the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(String);

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Duration, DurationError> {
        let bad = |why: &str| {
            DurationError(format!(
                "{text:?} is not a duration: {why} (write e.g. \"90s\", \"15m\", \"2h\" or \"1h30m\")"
            ))
        };
        if text.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut last_unit = usize::MAX;
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let Some(position) = UNITS.iter().position(|(unit, _)| *unit == c) else {
                return Err(bad(&format!(
                    "unknown unit {c:?}; use s, m, h or d (whole seconds at least)"
                )));
            };
            if digits.is_empty() {
                return Err(bad("a unit needs a number before it"));
            }
            if last_unit != usize::MAX && position <= last_unit {
                return Err(bad("units must go from larger to smaller, each once"));
            }
            last_unit = position;
            let amount: u64 = digits.parse().map_err(|_| bad("the number is too large"))?;
            digits.clear();
            total = amount
                .checked_mul(UNITS[position].1)
                .and_then(|s| total.checked_add(s))
                .ok_or_else(|| bad("it is too long"))?;
        }
        if !digits.is_empty() {
            return Err(bad("the number needs a unit"));
        }
        if total == 0 {
            return Err(bad("it must be at least 1s"));
        }
        Duration::from_secs(total).ok_or_else(|| bad("it must be at most 366d"))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, size) = UNITS
            .iter()
            .find(|(_, size)| self.0.is_multiple_of(*size))
            .copied()
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", self.0 / size)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn secs(text: &str) -> u64 {
        text.parse::<Duration>().map(Duration::as_secs).unwrap()
    }

    #[test]
    fn reads_the_forms_plans_use() {
        assert_eq!(secs("1s"), 1);
        assert_eq!(secs("90s"), 90);
        assert_eq!(secs("15m"), 900);
        assert_eq!(secs("2h"), 7200);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("1d"), 86_400);
    }

    #[test]
    fn refuses_what_is_not_a_whole_positive_duration() {
        for bad in [
            "", "0s", "10", "s", "1.5h", "500ms", "-1s", "1x", "1m1h", "1s1s", "367d", " 1s",
        ] {
            assert!(bad.parse::<Duration>().is_err(), "{bad:?} must be refused");
        }
        let error = "10".parse::<Duration>().unwrap_err().to_string();
        assert!(error.contains("needs a unit"), "{error}");
    }

    #[test]
    fn writes_the_shortest_exact_form_and_reads_it_back() {
        for (text, shown) in [
            ("120s", "2m"),
            ("90s", "90s"),
            ("60m", "1h"),
            ("1h30m", "90m"),
            ("48h", "2d"),
        ] {
            let duration: Duration = text.parse().unwrap();
            assert_eq!(duration.to_string(), shown);
            assert_eq!(shown.parse::<Duration>().unwrap(), duration);
        }
    }

    #[test]
    fn travels_as_a_json_string() {
        let duration: Duration = serde_json::from_str("\"15m\"").unwrap();
        assert_eq!(serde_json::to_string(&duration).unwrap(), "\"15m\"");
        let error = serde_json::from_str::<Duration>("15")
            .unwrap_err()
            .to_string();
        assert!(error.contains("string"), "{error}");
    }
}
