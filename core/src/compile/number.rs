//! Numbers as conditions compare them: exactly.
//!
//! JSON carries 64-bit integers (account and order IDs are often numbers), which an
//! `f64` would round: 9007199254740993 and 9007199254740992 are the same float. So
//! integers stay integers, fractions stay floats, and a comparison between the two is
//! settled without rounding either.

use std::cmp::Ordering;

/// A finite number from a rule or a context.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    /// Any `i64` or `u64`.
    Int(i128),
    /// A finite number written with a fraction or an exponent.
    Float(f64),
}

impl Number {
    /// A JSON number; `None` for one that is not finite.
    pub(crate) fn of(number: &serde_json::Number) -> Option<Number> {
        if let Some(int) = number.as_i64() {
            Some(Number::Int(int.into()))
        } else if let Some(int) = number.as_u64() {
            Some(Number::Int(int.into()))
        } else {
            number.as_f64().and_then(Number::float)
        }
    }

    /// A number spelled as text, surrounding whitespace allowed (contexts from clients
    /// that send every attribute as a string).
    pub(crate) fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if let Ok(int) = text.parse::<i64>() {
            Some(Number::Int(int.into()))
        } else if let Ok(int) = text.parse::<u64>() {
            Some(Number::Int(int.into()))
        } else {
            text.parse::<f64>().ok().and_then(Number::float)
        }
    }

    fn float(value: f64) -> Option<Number> {
        value.is_finite().then_some(Number::Float(value))
    }

    /// How `self` compares with `other`, exactly.
    #[inline]
    pub(crate) fn compare(self, other: Number) -> Ordering {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.cmp(&b),
            (Number::Float(a), Number::Float(b)) => finite_cmp(a, b),
            (Number::Int(a), Number::Float(b)) => int_with_float(a, b),
            (Number::Float(a), Number::Int(b)) => int_with_float(b, a).reverse(),
        }
    }

    /// Nanoseconds, reading `self` as seconds.
    pub(crate) fn seconds_to_nanos(self) -> i128 {
        match self {
            Number::Int(seconds) => seconds.saturating_mul(1_000_000_000),
            Number::Float(seconds) => (seconds * 1e9) as i128,
        }
    }
}

/// Orders two finite floats (`-0.0` equals `0.0`).
fn finite_cmp(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// Rounding to the nearest float never reorders two numbers, so the rounded integer
/// orders as the integer does unless it lands on the float itself; then the float is a
/// whole number within 64 bits and the two compare as integers.
fn int_with_float(int: i128, float: f64) -> Ordering {
    match finite_cmp(int as f64, float) {
        Ordering::Equal => int.cmp(&(float as i128)),
        unequal => unequal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_float_precision_stay_distinct() {
        let a = Number::parse("9007199254740993").unwrap();
        let b = Number::Int(9_007_199_254_740_992);
        assert_eq!(a.compare(b), Ordering::Greater);
        let float = Number::Float(9_007_199_254_740_992.0);
        assert_eq!(a.compare(float), Ordering::Greater);
        assert_eq!(float.compare(a), Ordering::Less);
        assert_eq!(b.compare(float), Ordering::Equal);
    }

    #[test]
    fn integers_and_floats_compare_by_value() {
        assert_eq!(Number::Int(2).compare(Number::Float(2.0)), Ordering::Equal);
        assert_eq!(Number::Int(2).compare(Number::Float(2.5)), Ordering::Less);
        assert_eq!(Number::Int(-3).compare(Number::Float(-2.5)), Ordering::Less);
        assert_eq!(
            Number::Float(-0.0).compare(Number::Float(0.0)),
            Ordering::Equal
        );
        let max = Number::Int(u64::MAX.into());
        assert_eq!(max.compare(Number::Float(1e30)), Ordering::Less);
        assert_eq!(Number::parse(" 18446744073709551615 "), Some(max));
        assert_eq!(Number::parse("1e2"), Some(Number::Float(100.0)));
        assert_eq!(Number::parse("NaN"), None);
        assert_eq!(Number::parse("inf"), None);
    }

    #[test]
    fn whole_seconds_become_nanoseconds_exactly() {
        assert_eq!(
            Number::Int(1_767_225_601).seconds_to_nanos(),
            1_767_225_601_000_000_000
        );
        assert_eq!(Number::Float(1.5).seconds_to_nanos(), 1_500_000_000);
    }
}
