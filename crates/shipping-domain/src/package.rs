//! The parcel an order becomes: actual weight, box size, volumetric and chargeable weight.
//!
//! Couriers bill the larger of the actual weight and the volumetric weight (L × B × H / 5000,
//! cm → kg). Under-declaring either shows up weeks later as a weight-discrepancy charge, so where
//! a product has no weight or size we use the shop's defaults and say so in
//! [`Package::defaulted`], and where we must guess we guess high.

use crate::error::{DomainError, Field, LineField};
use crate::measure::{Dimensions, Weight};
use crate::order::OrderLine;
use serde::{Deserialize, Serialize};

/// What to assume for a product without a weight or size (per unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDefaults {
    pub item_weight: Weight,
    pub dimensions: Dimensions,
}

/// The shop's original design: 0.5 kg and 20 × 15 × 10 cm per item.
impl Default for PackageDefaults {
    fn default() -> Self {
        PackageDefaults {
            item_weight: Weight::from_grams_unchecked(500),
            dimensions: Dimensions::from_mm_unchecked(200, 150, 100),
        }
    }
}

/// A value that came from [`PackageDefaults`] instead of the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defaulted {
    /// Index of the order line, from 0.
    pub line: usize,
    pub sku: String,
    pub field: DefaultedField,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DefaultedField {
    Weight,
    Dimensions,
}

/// One parcel holding every unit of every line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Sum of item weight × units. This is Shiprocket's `weight` (dead weight).
    pub actual_weight: Weight,
    /// The box: Shiprocket's `length`, `breadth`, `height`. See [`Package::for_lines`].
    pub dimensions: Dimensions,
    /// `dimensions` as weight: L × B × H / 5000, rounded up to the gram.
    pub volumetric_weight: Weight,
    /// The larger of `actual_weight` and `volumetric_weight`: what couriers bill and what rate
    /// quotes should be asked for.
    pub chargeable_weight: Weight,
    /// Every per-line value taken from the defaults, in line order (weight before dimensions).
    pub defaulted: Vec<Defaulted>,
}

impl Package {
    /// Packs `lines` into one box.
    ///
    /// Each unit is laid flat (shortest side up) and the units are stacked: the box is as long
    /// as the longest item, as broad as the broadest, and as high as all heights together. Its
    /// volume is then at least the sum of the items' volumes, so the volumetric weight is never
    /// under-declared; for a single unit the box is the item itself.
    ///
    /// Fails on an empty order, a line with 0 units, or a parcel over 100 kg (actual or
    /// volumetric), which is not a courier parcel.
    pub fn for_lines(lines: &[OrderLine], defaults: &PackageDefaults) -> Result<Package, DomainError> {
        if lines.is_empty() {
            return Err(DomainError::invalid(Field::Items, "an order needs at least one item"));
        }
        let too_heavy = |what: &str| DomainError::invalid(Field::Package, format!("{what} is over 100 kg"));
        let mut grams: u64 = 0;
        let (mut length, mut breadth, mut height) = (0u32, 0u32, 0u64);
        let mut defaulted = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            if line.units == 0 {
                return Err(DomainError::invalid(Field::Line { index, field: LineField::Units }, "must be at least 1"));
            }
            let units = u64::from(line.units);
            let weight = line.weight.unwrap_or_else(|| {
                defaulted.push(Defaulted { line: index, sku: line.sku.clone(), field: DefaultedField::Weight });
                defaults.item_weight
            });
            let dims = line.dimensions.unwrap_or_else(|| {
                defaulted.push(Defaulted { line: index, sku: line.sku.clone(), field: DefaultedField::Dimensions });
                defaults.dimensions
            });
            // u32 grams × u32 units fits in u64; the sum saturates and is range-checked below.
            grams = grams.saturating_add(u64::from(weight.grams()) * units);
            let [long, broad, short] = dims.sides_desc();
            length = length.max(long);
            breadth = breadth.max(broad);
            height = height.saturating_add(u64::from(short) * units);
        }
        let actual_weight = u32::try_from(grams)
            .ok()
            .and_then(|g| Weight::from_grams(g).ok())
            .ok_or_else(|| too_heavy("the actual weight"))?;
        let height = u32::try_from(height)
            .map_err(|_| DomainError::invalid(Field::Package, "the stacked items are too high for one parcel"))?;
        let dimensions = Dimensions::from_mm(length, breadth, height)?;
        let volumetric_weight = u32::try_from(dimensions.volumetric_grams())
            .ok()
            .and_then(|g| Weight::from_grams(g).ok())
            .ok_or_else(|| too_heavy("the volumetric weight"))?;
        let chargeable_weight = actual_weight.max(volumetric_weight);
        Ok(Package { actual_weight, dimensions, volumetric_weight, chargeable_weight, defaulted })
    }

    pub fn weight_defaulted(&self) -> bool {
        self.defaulted.iter().any(|d| d.field == DefaultedField::Weight)
    }

    pub fn dimensions_defaulted(&self) -> bool {
        self.defaulted.iter().any(|d| d.field == DefaultedField::Dimensions)
    }
}
