//! OpenAPI schemas of the validated values (feature `openapi`), so the API's generated document
//! describes the wire form the `Deserialize` impls accept. The structs that hold them derive
//! `utoipa::ToSchema` under the same feature.
//!
//! Written by hand because each newtype validates in code: the schema states the rule as far as
//! JSON Schema can (pattern, bounds); the text says the rest.

use crate::{Dimensions, Email, Money, Phone, Pincode, ShopOrderId, Weight};
use serde_json::json;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

fn text(description: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description)).examples([json!(example)])
}

fn integer(description: &str, minimum: usize, maximum: Option<usize>, example: u64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some(description))
        .minimum(Some(minimum))
        .maximum(maximum)
        .examples([json!(example)])
}

macro_rules! schema {
    ($t:ty, $build:expr) => {
        impl PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                RefOr::T(Schema::Object($build.build()))
            }
        }
        impl ToSchema for $t {}
    };
}

schema!(
    Pincode,
    text("Indian PIN code: six digits, the first not 0", "560038").pattern(Some(r"^\s*[1-9][0-9]{5}\s*$"))
);
schema!(
    Phone,
    text(
        "Indian mobile number (10 digits, first 6–9), optionally with +91/0091/91/0 in front and spaces, \
         hyphens, dots or brackets between digits; stored as the 10 national digits",
        "+91 98000 00001"
    )
    .max_length(Some(32))
);
schema!(Email, text("E-mail address", "buyer@example.com").format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))));
schema!(
    ShopOrderId,
    text("The shop's order id: 1–50 characters, no control characters, not ending in -R<number>", "ORD-1001")
        .min_length(Some(1))
        .max_length(Some(50))
);
schema!(Money, integer("An amount of Indian rupees in paise (₹1 = 100)", 0, None, 49_900));
schema!(Weight, integer("Grams, more than 0 and at most 100 kg", 1, Some(Weight::MAX_GRAMS as usize), 500));
schema!(
    Dimensions,
    ObjectBuilder::new()
        .description(Some("Outer size in millimetres; every side at least 6 mm"))
        .property("length_mm", integer("Millimetres", Dimensions::MIN_SIDE_MM as usize, None, 200))
        .property("breadth_mm", integer("Millimetres", Dimensions::MIN_SIDE_MM as usize, None, 150))
        .property("height_mm", integer("Millimetres", Dimensions::MIN_SIDE_MM as usize, None, 100))
        .required("length_mm")
        .required("breadth_mm")
        .required("height_mm")
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn json_of<T: PartialSchema>() -> serde_json::Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    /// The schema's pattern and the parser agree on the cases that decide a pincode.
    #[test]
    fn pincode_pattern_states_the_parser_rule() {
        let schema = json_of::<Pincode>();
        let pattern = schema["pattern"].as_str().unwrap();
        assert_eq!(pattern, r"^\s*[1-9][0-9]{5}\s*$");
        for (input, ok) in
            [("560038", true), ("060038", false), ("56003", false), (" 110001 ", true), ("56003a", false)]
        {
            assert_eq!(Pincode::parse(input).is_ok(), ok, "{input}");
        }
    }

    proptest::proptest! {
        /// The document's pincode pattern accepts exactly what the parser accepts.
        #[test]
        fn the_pincode_pattern_agrees_with_the_parser(input in "[ \t]{0,2}[0-9a]{0,7}[ \t]{0,2}") {
            let schema = json_of::<Pincode>();
            let pattern = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
            proptest::prop_assert_eq!(pattern.is_match(&input), Pincode::parse(&input).is_ok(), "{:?}", input);
        }
    }

    #[test]
    fn bounds_are_the_parser_bounds() {
        let w = json_of::<Weight>();
        assert_eq!(w["minimum"], 1);
        assert_eq!(w["maximum"], Weight::MAX_GRAMS);
        assert!(Weight::from_grams(Weight::MAX_GRAMS).is_ok());
        assert!(Weight::from_grams(Weight::MAX_GRAMS + 1).is_err());
        let d = json_of::<Dimensions>();
        assert_eq!(d["required"].as_array().unwrap().len(), 3);
        assert_eq!(d["properties"]["height_mm"]["minimum"], Dimensions::MIN_SIDE_MM);
    }
}
