//! [`Weight`] and [`Dimensions`]: integers underneath, so sums and comparisons are exact.

use crate::error::{DomainError, Field};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A weight in whole grams, more than 0 and at most 100 kg.
///
/// Shiprocket takes kilograms as a float; we keep grams so that summing many items never drifts,
/// and convert with [`Weight::as_kg`] at the edge. 100 kg is a sanity bound for parcel shipping:
/// anything heavier is a data error (grams typed as kilograms) or freight.
///
/// Serialises as the integer number of grams.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Weight {
    grams: u32,
}

impl Weight {
    pub const MAX_GRAMS: u32 = 100_000;

    pub fn from_grams(grams: u32) -> Result<Weight, DomainError> {
        if grams == 0 {
            return Err(DomainError::invalid(Field::Weight, "must be more than 0"));
        }
        if grams > Weight::MAX_GRAMS {
            return Err(DomainError::invalid(Field::Weight, "must be at most 100 kg"));
        }
        Ok(Weight { grams })
    }

    /// Kilograms, rounded to the nearest gram.
    pub fn from_kg(kg: f64) -> Result<Weight, DomainError> {
        if !kg.is_finite() {
            return Err(DomainError::invalid(Field::Weight, "is not a number"));
        }
        let grams = (kg * 1000.0).round();
        if grams < 1.0 {
            return Err(DomainError::invalid(Field::Weight, "must be more than 0 (at least 1 g after rounding)"));
        }
        if grams > f64::from(Weight::MAX_GRAMS) {
            return Err(DomainError::invalid(Field::Weight, "must be at most 100 kg"));
        }
        // In range 1..=100_000 and integral, so the cast is exact.
        Weight::from_grams(grams as u32)
    }

    /// Parses `"500 g"`, `"500g"`, `"0.5 kg"`, `"1.25KG"`. A unit is required: a bare `"500"`
    /// is as likely grams as kilograms.
    pub fn parse(input: &str) -> Result<Weight, DomainError> {
        let s = input.trim().to_ascii_lowercase();
        let (number, grams_per_unit) = if let Some(n) = s.strip_suffix("kg") {
            (n, 1000.0)
        } else if let Some(n) = s.strip_suffix('g') {
            (n, 1.0)
        } else {
            return Err(DomainError::invalid(Field::Weight, "needs a unit: g or kg"));
        };
        let value: f64 = parse_decimal(number.trim()).ok_or_else(|| {
            DomainError::invalid(Field::Weight, "must be a decimal number followed by g or kg, such as 0.5 kg")
        })?;
        Weight::from_kg(value * grams_per_unit / 1000.0)
    }

    /// For constants this crate knows to be valid (1..=100_000 g).
    pub(crate) const fn from_grams_unchecked(grams: u32) -> Weight {
        debug_assert!(grams > 0 && grams <= Weight::MAX_GRAMS);
        Weight { grams }
    }

    pub const fn grams(self) -> u32 {
        self.grams
    }

    pub fn as_kg(self) -> f64 {
        f64::from(self.grams) / 1000.0
    }
}

impl TryFrom<u32> for Weight {
    type Error = DomainError;
    fn try_from(grams: u32) -> Result<Self, Self::Error> {
        Weight::from_grams(grams)
    }
}

impl From<Weight> for u32 {
    fn from(w: Weight) -> u32 {
        w.grams
    }
}

/// `0.5 kg`, `1.25 kg`.
impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} kg", trim_decimals(self.grams / 1000, self.grams % 1000, 3))
    }
}

impl fmt::Debug for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Weight({} g)", self.grams)
    }
}

/// Package or product size: length × breadth × height, each held in whole millimetres (that is,
/// tenths of a centimetre, the precision a tape measure gives and Shiprocket's float accepts).
/// Each side must be more than 0.5 cm (Shiprocket refuses 0.5 and below).
///
/// Serialises as `{"length_mm": .., "breadth_mm": .., "height_mm": ..}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "DimensionsMm", into = "DimensionsMm")]
pub struct Dimensions {
    length_mm: u32,
    breadth_mm: u32,
    height_mm: u32,
}

/// The serialised form of [`Dimensions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionsMm {
    pub length_mm: u32,
    pub breadth_mm: u32,
    pub height_mm: u32,
}

/// Volumetric divisor Shiprocket and Indian couriers use: L × B × H in cm³ / 5000 = kg.
/// In millimetres and grams that is mm³ / 5000 = g (the factors of 1000 cancel).
pub const VOLUMETRIC_DIVISOR: u32 = 5000;

impl Dimensions {
    /// Smallest accepted side is 6 mm: Shiprocket wants more than 0.5 cm.
    pub const MIN_SIDE_MM: u32 = 6;

    pub fn from_mm(length_mm: u32, breadth_mm: u32, height_mm: u32) -> Result<Dimensions, DomainError> {
        for (field, v) in [(Field::Length, length_mm), (Field::Breadth, breadth_mm), (Field::Height, height_mm)] {
            if v < Dimensions::MIN_SIDE_MM {
                return Err(DomainError::invalid(field, "must be more than 0.5 cm"));
            }
        }
        Ok(Dimensions { length_mm, breadth_mm, height_mm })
    }

    /// Centimetres, each rounded to the nearest millimetre.
    pub fn from_cm(length_cm: f64, breadth_cm: f64, height_cm: f64) -> Result<Dimensions, DomainError> {
        let side = |field: Field, cm: f64| -> Result<u32, DomainError> {
            if !cm.is_finite() {
                return Err(DomainError::invalid(field, "is not a number"));
            }
            let mm = (cm * 10.0).round();
            if mm < f64::from(Dimensions::MIN_SIDE_MM) {
                return Err(DomainError::invalid(field, "must be more than 0.5 cm"));
            }
            if mm > f64::from(u32::MAX) {
                return Err(DomainError::invalid(field, "is too large"));
            }
            // Integral and within u32, so the cast is exact.
            Ok(mm as u32)
        };
        Dimensions::from_mm(
            side(Field::Length, length_cm)?,
            side(Field::Breadth, breadth_cm)?,
            side(Field::Height, height_cm)?,
        )
    }

    /// Parses `"20x15x10"`, `"20 × 15 × 10 cm"`, `"20.5*15*10"` (centimetres; `x`, `X`, `×` or
    /// `*` between the sides; an optional `cm` at the end).
    pub fn parse(input: &str) -> Result<Dimensions, DomainError> {
        let s = input.trim();
        let s = s.strip_suffix("cm").or_else(|| s.strip_suffix("CM")).unwrap_or(s);
        let sides: Vec<&str> = s.split(['x', 'X', '×', '*']).map(str::trim).collect();
        let [l, b, h] = sides.as_slice() else {
            return Err(DomainError::invalid(Field::Length, "must be three sides in cm, such as 20x15x10"));
        };
        let num = |field: Field, t: &str| {
            parse_decimal(t).ok_or_else(|| DomainError::invalid(field, "must be a decimal number of centimetres"))
        };
        Dimensions::from_cm(num(Field::Length, l)?, num(Field::Breadth, b)?, num(Field::Height, h)?)
    }

    /// For constants this crate knows to be valid (every side at least 6 mm).
    pub(crate) const fn from_mm_unchecked(length_mm: u32, breadth_mm: u32, height_mm: u32) -> Dimensions {
        debug_assert!(
            length_mm >= Dimensions::MIN_SIDE_MM
                && breadth_mm >= Dimensions::MIN_SIDE_MM
                && height_mm >= Dimensions::MIN_SIDE_MM
        );
        Dimensions { length_mm, breadth_mm, height_mm }
    }

    pub const fn length_mm(self) -> u32 {
        self.length_mm
    }
    pub const fn breadth_mm(self) -> u32 {
        self.breadth_mm
    }
    pub const fn height_mm(self) -> u32 {
        self.height_mm
    }
    pub fn length_cm(self) -> f64 {
        f64::from(self.length_mm) / 10.0
    }
    pub fn breadth_cm(self) -> f64 {
        f64::from(self.breadth_mm) / 10.0
    }
    pub fn height_cm(self) -> f64 {
        f64::from(self.height_mm) / 10.0
    }

    /// The sides from longest to shortest.
    pub fn sides_desc(self) -> [u32; 3] {
        let mut s = [self.length_mm, self.breadth_mm, self.height_mm];
        s.sort_unstable_by(|a, b| b.cmp(a));
        s
    }

    /// Volumetric weight in grams, L × B × H / 5000 (cm, kg), rounded up to the gram as couriers
    /// round against the shipper. Saturates at `u64::MAX` for absurd sizes.
    pub fn volumetric_grams(self) -> u64 {
        let mm3 = u128::from(self.length_mm) * u128::from(self.breadth_mm) * u128::from(self.height_mm);
        let grams = mm3.div_ceil(u128::from(VOLUMETRIC_DIVISOR));
        u64::try_from(grams).unwrap_or(u64::MAX)
    }
}

impl TryFrom<DimensionsMm> for Dimensions {
    type Error = DomainError;
    fn try_from(d: DimensionsMm) -> Result<Self, Self::Error> {
        Dimensions::from_mm(d.length_mm, d.breadth_mm, d.height_mm)
    }
}

impl From<Dimensions> for DimensionsMm {
    fn from(d: Dimensions) -> DimensionsMm {
        DimensionsMm { length_mm: d.length_mm, breadth_mm: d.breadth_mm, height_mm: d.height_mm }
    }
}

/// `20 × 15 × 10.5 cm`.
impl fmt::Display for Dimensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cm = |mm: u32| trim_decimals(mm / 10, mm % 10, 1);
        write!(f, "{} × {} × {} cm", cm(self.length_mm), cm(self.breadth_mm), cm(self.height_mm))
    }
}

impl fmt::Debug for Dimensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dimensions({self})")
    }
}

/// A plain decimal number (see [`crate::split_decimal`]): `f64::from_str` alone would also take
/// signs, exponents, `inf` and `nan`.
fn parse_decimal(s: &str) -> Option<f64> {
    crate::split_decimal(s)?;
    s.parse().ok()
}

/// `whole.frac` with `places` decimals, trailing zeros (and a bare dot) removed.
fn trim_decimals(whole: u32, frac: u32, places: usize) -> String {
    let s = format!("{whole}.{frac:0places$}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn weights_from_grams_kg_and_text() {
        assert_eq!(Weight::from_kg(0.5).unwrap().grams(), 500);
        assert_eq!(Weight::from_kg(1.2345).unwrap().grams(), 1235);
        assert_eq!(Weight::from_kg(0.0005).unwrap().grams(), 1);
        assert_eq!(Weight::from_kg(100.0).unwrap().grams(), 100_000);
        assert_eq!(Weight::parse("500 g").unwrap().grams(), 500);
        assert_eq!(Weight::parse("0.5kg").unwrap().grams(), 500);
        assert_eq!(Weight::parse(" 1.25 KG ").unwrap().grams(), 1250);
        assert!((Weight::from_grams(1250).unwrap().as_kg() - 1.25).abs() < f64::EPSILON);
        assert_eq!(Weight::from_grams(1250).unwrap().to_string(), "1.25 kg");
        assert_eq!(Weight::from_grams(2000).unwrap().to_string(), "2 kg");
    }

    #[test]
    fn weights_out_of_range_or_unitless_are_refused() {
        for bad in [Weight::from_grams(0), Weight::from_grams(100_001), Weight::from_kg(0.0004), Weight::from_kg(-1.0)]
        {
            assert_eq!(bad.unwrap_err().field(), Some(Field::Weight));
        }
        assert!(Weight::from_kg(f64::NAN).is_err());
        assert!(Weight::from_kg(100.0006).is_err());
        for bad in ["500", "kg", "-1 kg", "1e3 g", "inf kg", "nan g", "0.5 lb", "½ kg"] {
            assert_eq!(Weight::parse(bad).unwrap_err().field(), Some(Field::Weight), "{bad:?}");
        }
    }

    #[test]
    fn dimensions_in_tenths_of_a_cm() {
        let d = Dimensions::from_cm(20.0, 15.0, 10.25).unwrap();
        assert_eq!((d.length_mm(), d.breadth_mm(), d.height_mm()), (200, 150, 103));
        assert_eq!(d.to_string(), "20 × 15 × 10.3 cm");
        assert_eq!(Dimensions::parse("20x15x10").unwrap(), Dimensions::from_mm(200, 150, 100).unwrap());
        assert_eq!(Dimensions::parse("20 × 15 × 10 cm").unwrap(), Dimensions::from_mm(200, 150, 100).unwrap());
        assert_eq!(Dimensions::parse("20.5*15*0.6").unwrap(), Dimensions::from_mm(205, 150, 6).unwrap());
        assert_eq!(Dimensions::from_mm(200, 150, 5).unwrap_err().field(), Some(Field::Height));
        assert_eq!(Dimensions::from_cm(0.5, 10.0, 10.0).unwrap_err().field(), Some(Field::Length));
        assert_eq!(Dimensions::parse("20x0.4x10").unwrap_err().field(), Some(Field::Breadth));
        for bad in ["20x15", "20x15x10x5", "20xx10", "a x b x c", "-20x15x10", "1e99x1x1"] {
            assert!(Dimensions::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn volumetric_weight_is_lbh_over_5000_rounded_up() {
        // 20 × 15 × 10 cm = 3000 cm³ → 0.6 kg.
        assert_eq!(Dimensions::from_cm(20.0, 15.0, 10.0).unwrap().volumetric_grams(), 600);
        // 10.1 × 10 × 10 = 1010 cm³ → 0.202 kg.
        assert_eq!(Dimensions::from_cm(10.1, 10.0, 10.0).unwrap().volumetric_grams(), 202);
        // 0.6 cm cube = 0.216 cm³ → 0.0432 g → rounds up to 1 g.
        assert_eq!(Dimensions::from_mm(6, 6, 6).unwrap().volumetric_grams(), 1);
    }
}
