//! Rollout percentages: a JSON number between 0 and 100 with at most two decimals,
//! held as basis points so that the stage applied to a flag is exactly the weight the
//! bucketing uses (0.01 % granularity, docs/product.md §3).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::TOTAL_WEIGHT;

/// A percentage of an audience, in basis points (`100 %` = 10 000).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    /// Nobody.
    pub const ZERO: Percent = Percent(0);
    /// Everybody.
    pub const FULL: Percent = Percent(TOTAL_WEIGHT);

    /// From basis points (at most 10 000).
    pub fn from_basis_points(points: u32) -> Option<Percent> {
        (points <= TOTAL_WEIGHT).then_some(Percent(points))
    }

    /// From a number of percent such as `12.5`; `None` unless finite, within
    /// `0 ..= 100` and with at most two decimals.
    pub fn from_percent(percent: f64) -> Option<Percent> {
        if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
            return None;
        }
        let points = (percent * 100.0).round();
        ((percent * 100.0 - points).abs() < 1e-6).then_some(Percent(points as u32))
    }

    /// Basis points: the weight of the released variant in a rollout.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// As a number of percent.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// Everybody?
    pub fn is_full(self) -> bool {
        self.0 == TOTAL_WEIGHT
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0 / 100, self.0 % 100) {
            (whole, 0) => write!(f, "{whole} %"),
            (whole, hundredths) if hundredths % 10 == 0 => {
                write!(f, "{whole}.{} %", hundredths / 10)
            }
            (whole, hundredths) => write!(f, "{whole}.{hundredths:02} %"),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Whole percentages are written as integers (`100`, not `100.0`), like the plans
        // people write.
        if self.0.is_multiple_of(100) {
            serializer.serialize_u32(self.0 / 100)
        } else {
            serializer.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Percent, D::Error> {
        let number = f64::deserialize(deserializer)?;
        Percent::from_percent(number).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{number} is not a percentage: give a number from 0 to 100 with at most two decimals"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn reads_numbers_with_up_to_two_decimals() {
        assert_eq!(Percent::from_percent(12.5).unwrap().basis_points(), 1250);
        assert_eq!(Percent::from_percent(0.01).unwrap().basis_points(), 1);
        assert_eq!(Percent::from_percent(100.0), Some(Percent::FULL));
        for bad in [-1.0, 100.01, 0.001, f64::NAN, f64::INFINITY] {
            assert_eq!(Percent::from_percent(bad), None, "{bad}");
        }
    }

    #[test]
    fn writes_whole_numbers_as_integers() {
        let json = |p: f64| serde_json::to_string(&Percent::from_percent(p).unwrap()).unwrap();
        assert_eq!(json(100.0), "100");
        assert_eq!(json(12.5), "12.5");
        assert_eq!(json(0.25), "0.25");
        let error = serde_json::from_str::<Percent>("150")
            .unwrap_err()
            .to_string();
        assert!(error.contains("0 to 100"), "{error}");
    }

    #[test]
    fn displays_for_people() {
        assert_eq!(Percent::from_percent(1.0).unwrap().to_string(), "1 %");
        assert_eq!(Percent::from_percent(12.5).unwrap().to_string(), "12.5 %");
        assert_eq!(Percent::from_percent(0.05).unwrap().to_string(), "0.05 %");
    }
}
