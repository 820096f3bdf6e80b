//! [`Money`]: rupees as integer paise.
//!
//! Amounts are added and multiplied in paise, exactly; floating point appears only at the edge,
//! when a payload field needs a number ([`Money::as_rupees_f64`]) — a value that came from paise
//! round-trips through `f64` without loss far beyond any order total.

use crate::error::{DomainError, Field};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A non-negative amount of Indian rupees, held as integer paise (₹1 = 100 paise).
///
/// Serialises as the integer number of paise.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money {
    paise: u64,
}

impl Money {
    pub const ZERO: Money = Money { paise: 0 };

    pub const fn from_paise(paise: u64) -> Money {
        Money { paise }
    }

    /// Whole rupees; `None` if the paise would not fit.
    pub const fn from_rupees(rupees: u64) -> Option<Money> {
        match rupees.checked_mul(100) {
            Some(paise) => Some(Money { paise }),
            None => None,
        }
    }

    /// Parses a rupee amount as shops send it: `"499"`, `"499.5"`, `"499.50"`, optionally
    /// prefixed by `₹`. No thousands separators, no sign, at most two decimals (paise).
    pub fn from_rupees_str(input: &str) -> Result<Money, DomainError> {
        let bad = |reason: &str| DomainError::invalid(Field::Money, reason);
        let s = input.trim();
        let s = s.strip_prefix('₹').map(str::trim_start).unwrap_or(s);
        if s.is_empty() {
            return Err(bad("is empty"));
        }
        if s.starts_with('-') {
            return Err(bad("must not be negative"));
        }
        let Some((whole, frac)) = crate::split_decimal(s) else {
            return Err(bad("must be a rupee amount such as 499 or 499.50"));
        };
        if frac.len() > 2 {
            return Err(bad("has more than 2 decimals (paise)"));
        }
        let too_large = || bad("is too large");
        let rupees: u64 = whole.parse().map_err(|_| too_large())?;
        let paise_part: u64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<u64>().map_err(|_| too_large())? * 10,
            _ => frac.parse::<u64>().map_err(|_| too_large())?,
        };
        rupees.checked_mul(100).and_then(|p| p.checked_add(paise_part)).map(Money::from_paise).ok_or_else(too_large)
    }

    /// Same as [`Money::from_rupees_str`].
    pub fn parse(input: &str) -> Result<Money, DomainError> {
        Money::from_rupees_str(input)
    }

    pub const fn paise(self) -> u64 {
        self.paise
    }

    pub const fn is_zero(self) -> bool {
        self.paise == 0
    }

    /// For payload fields Shiprocket types as numbers. Exact for every amount below ₹90 trillion.
    pub fn as_rupees_f64(self) -> f64 {
        self.paise as f64 / 100.0
    }

    /// `"499.50"`: for payload fields sent as text.
    pub fn to_rupees_string(self) -> String {
        format!("{}.{:02}", self.paise / 100, self.paise % 100)
    }

    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.paise.checked_add(other.paise) {
            Some(paise) => Some(Money { paise }),
            None => None,
        }
    }

    /// `None` if `other` is larger (money is never negative).
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        match self.paise.checked_sub(other.paise) {
            Some(paise) => Some(Money { paise }),
            None => None,
        }
    }

    /// Multiplies by a count (units of an item).
    pub const fn checked_mul(self, times: u64) -> Option<Money> {
        match self.paise.checked_mul(times) {
            Some(paise) => Some(Money { paise }),
            None => None,
        }
    }
}

/// `₹499.50`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "₹{}", self.to_rupees_string())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Money {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::from_rupees_str(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_rupee_strings_to_paise() {
        for (input, paise) in [
            ("499.50", 49_950),
            ("499.5", 49_950),
            ("499", 49_900),
            ("0", 0),
            ("0.05", 5),
            (" ₹ 71.50 ", 7_150),
            ("₹1", 100),
            ("184467440737095516.15", u64::MAX),
        ] {
            assert_eq!(Money::from_rupees_str(input).unwrap().paise(), paise, "{input:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_exact_rupee_amount() {
        for (input, reason) in [
            ("", "is empty"),
            ("-1", "must not be negative"),
            ("1.234", "has more than 2 decimals (paise)"),
            ("1,000", "must be a rupee amount such as 499 or 499.50"),
            ("1.", "must be a rupee amount such as 499 or 499.50"),
            (".5", "must be a rupee amount such as 499 or 499.50"),
            ("1e3", "must be a rupee amount such as 499 or 499.50"),
            ("+5", "must be a rupee amount such as 499 or 499.50"),
            ("184467440737095516.16", "is too large"),
            ("99999999999999999999999", "is too large"),
        ] {
            assert_eq!(
                Money::from_rupees_str(input).unwrap_err(),
                DomainError::invalid(Field::Money, reason),
                "{input:?}"
            );
        }
    }

    #[test]
    fn arithmetic_is_exact_and_checked() {
        let a = Money::from_paise(49_950);
        assert_eq!(a.checked_mul(3), Some(Money::from_paise(149_850)));
        assert_eq!(a.checked_add(Money::from_paise(50)), Some(Money::from_paise(50_000)));
        assert_eq!(a.checked_sub(Money::from_paise(49_951)), None);
        assert_eq!(Money::from_paise(u64::MAX).checked_add(Money::from_paise(1)), None);
        assert_eq!(Money::from_paise(u64::MAX / 2 + 1).checked_mul(2), None);
        assert_eq!(Money::from_rupees(5), Some(Money::from_paise(500)));
        assert_eq!(Money::from_rupees(u64::MAX), None);
    }

    #[test]
    fn renders_for_people_and_payloads() {
        let m = Money::from_paise(7_150);
        assert_eq!(m.to_string(), "₹71.50");
        assert_eq!(format!("{m:?}"), "₹71.50");
        assert_eq!(m.to_rupees_string(), "71.50");
        assert_eq!(Money::from_paise(5).to_rupees_string(), "0.05");
        assert!((m.as_rupees_f64() - 71.5).abs() < f64::EPSILON);
    }
}
