//! Package weight and size: actual vs volumetric, defaults, stacking.

use crate::support::{LineExt, line};
use shipping_domain::{
    Defaulted, DefaultedField, Dimensions, DomainError, Field, LineField, Package, PackageDefaults, Weight,
};

fn dims(l: f64, b: f64, h: f64) -> Dimensions {
    Dimensions::from_cm(l, b, h).expect("valid dimensions")
}

fn kg(kg: f64) -> Weight {
    Weight::from_kg(kg).expect("valid weight")
}

#[test]
fn actual_weight_wins_for_dense_goods() {
    // Two 1.2 kg jars, 20 × 15 × 10 cm each: stacked 20 × 15 × 20 = 6000 cm³ → 1.2 kg volumetric.
    let lines = [line("JAR", 2, 25_000).weight(kg(1.2)).dims(dims(20.0, 15.0, 10.0))];
    let p = Package::for_lines(&lines, &PackageDefaults::default()).expect("package");
    assert_eq!(p.actual_weight, kg(2.4));
    assert_eq!(p.dimensions, dims(20.0, 15.0, 20.0));
    assert_eq!(p.volumetric_weight, kg(1.2));
    assert_eq!(p.chargeable_weight, kg(2.4));
    assert!(p.defaulted.is_empty());
}

#[test]
fn volumetric_weight_wins_for_bulky_goods() {
    // A 300 g pillow in a 40 × 40 × 20 cm box: 32000 cm³ / 5000 = 6.4 kg.
    let lines = [line("PILLOW", 1, 99_900).weight(kg(0.3)).dims(dims(40.0, 40.0, 20.0))];
    let p = Package::for_lines(&lines, &PackageDefaults::default()).expect("package");
    assert_eq!(p.actual_weight, kg(0.3));
    assert_eq!(p.volumetric_weight, kg(6.4));
    assert_eq!(p.chargeable_weight, kg(6.4));
}

#[test]
fn missing_values_come_from_the_defaults_and_are_reported() {
    let lines = [line("MUG", 1, 49_900)];
    let p = Package::for_lines(&lines, &PackageDefaults::default()).expect("package");
    // 0.5 kg; 20 × 15 × 10 cm → 0.6 kg volumetric.
    assert_eq!(p.actual_weight, kg(0.5));
    assert_eq!(p.dimensions, dims(20.0, 15.0, 10.0));
    assert_eq!(p.volumetric_weight, kg(0.6));
    assert_eq!(p.chargeable_weight, kg(0.6));
    assert_eq!(
        p.defaulted,
        [
            Defaulted { line: 0, sku: "MUG".into(), field: DefaultedField::Weight },
            Defaulted { line: 0, sku: "MUG".into(), field: DefaultedField::Dimensions },
        ]
    );
    assert!(p.weight_defaulted() && p.dimensions_defaulted());
}

#[test]
fn only_what_is_missing_is_defaulted() {
    let lines =
        [line("BOOK", 1, 39_900).weight(kg(0.4)).dims(dims(22.0, 15.0, 3.0)), line("CARD", 2, 9_900).weight(kg(0.05))];
    let defaults = PackageDefaults { item_weight: kg(1.0), dimensions: dims(10.0, 10.0, 1.0) };
    let p = Package::for_lines(&lines, &defaults).expect("package");
    assert_eq!(p.defaulted, [Defaulted { line: 1, sku: "CARD".into(), field: DefaultedField::Dimensions }]);
    assert!(!p.weight_defaulted() && p.dimensions_defaulted());
    assert_eq!(p.actual_weight, kg(0.5));
    // Longest 22, broadest 15 (card 10 × 10 fits under), heights 3 + 2 × 1.
    assert_eq!(p.dimensions, dims(22.0, 15.0, 5.0));
    // 1650 cm³ → 0.33 kg < 0.5 kg actual.
    assert_eq!(p.chargeable_weight, kg(0.5));
}

#[test]
fn items_are_laid_flat_before_stacking() {
    // Given as 10 long, 30 broad, 5 high: the box is 30 × 10 × 5 either way.
    let lines = [line("TRAY", 1, 10_000).weight(kg(0.2)).dims(dims(10.0, 30.0, 5.0))];
    let p = Package::for_lines(&lines, &PackageDefaults::default()).expect("package");
    assert_eq!(p.dimensions, dims(30.0, 10.0, 5.0));
    // Three poster tubes of 100 × 8 × 8 cm stack to 100 × 8 × 24.
    let lines = [line("TUBE", 3, 10_000).weight(kg(0.2)).dims(dims(8.0, 100.0, 8.0))];
    let p = Package::for_lines(&lines, &PackageDefaults::default()).expect("package");
    assert_eq!(p.dimensions, dims(100.0, 8.0, 24.0));
    assert_eq!(p.volumetric_weight, kg(3.84));
}

#[test]
fn impossible_parcels_are_refused() {
    let d = PackageDefaults::default();
    assert_eq!(Package::for_lines(&[], &d).unwrap_err().field(), Some(Field::Items));
    let zero = [line("X", 0, 100)];
    assert_eq!(
        Package::for_lines(&zero, &d).unwrap_err().field(),
        Some(Field::Line { index: 0, field: LineField::Units })
    );
    let heavy = [line("ANVIL", 3, 100).weight(kg(40.0))];
    assert_eq!(
        Package::for_lines(&heavy, &d).unwrap_err(),
        DomainError::Invalid { field: Field::Package, reason: "the actual weight is over 100 kg".into() }
    );
    // 30 defaulted units: 15 kg actual, 20 × 15 × 300 cm → 18 kg volumetric: fine.
    assert!(Package::for_lines(&[line("T", 30, 100)], &d).is_ok());
    // 200 of them: 100 kg actual, 20 × 15 × 2000 cm → 120 kg volumetric: not a parcel.
    assert_eq!(
        Package::for_lines(&[line("T", 200, 100)], &d).unwrap_err(),
        DomainError::Invalid { field: Field::Package, reason: "the volumetric weight is over 100 kg".into() }
    );
}
