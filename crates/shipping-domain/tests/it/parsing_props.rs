//! Properties of parsing: arbitrary text never panics, whatever parses satisfies the type's
//! invariant and parses again to itself, and valid values round-trip.

use proptest::prelude::*;
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as DeError, StringDeserializer};
use shipping_domain::{
    Awb, ChannelOrderId, Dimensions, Email, Money, Phone, Pincode, RawStatus, ShopOrderId, StatusMapping, Weight,
    from_label, from_sr_status,
};

/// Text a form or a webhook might plausibly carry, plus anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,60}",
        "[ +0-9()._-]{0,24}",
        "[a-zA-Z0-9.+_@ -]{0,40}",
        "[₹0-9., -]{0,20}",
        "[0-9.]{0,8} ?(g|kg|KG|G|lb)?",
        "[0-9. ]{0,6}[xX×*][0-9. ]{0,6}[xX×*]?[0-9. ]{0,6}( ?cm)?",
        "[A-Za-z_ /()-]{0,40}",
    ]
}

fn from_string<T: for<'de> Deserialize<'de>>(s: String) -> Result<T, DeError> {
    let d: StringDeserializer<DeError> = s.into_deserializer();
    T::deserialize(d)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn pincode_parse_is_total_and_idempotent(s in text()) {
        if let Ok(p) = Pincode::parse(&s) {
            let v = p.as_str();
            prop_assert!(v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0'));
            prop_assert_eq!(Pincode::parse(v), Ok(p.clone()));
        }
    }

    #[test]
    fn phone_parse_is_total_and_normalises(s in text()) {
        if let Ok(p) = Phone::parse(&s) {
            let v = p.as_str();
            prop_assert!(v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(matches!(v.as_bytes()[0], b'6'..=b'9'));
            prop_assert_eq!(Phone::parse(v), Ok(p.clone()));
            let logged = format!("{p:?}{p}");
            prop_assert!(!logged.contains(v));
        }
    }

    #[test]
    fn email_parse_is_total_and_idempotent(s in text()) {
        if let Ok(e) = Email::parse(&s) {
            let v = e.as_str();
            prop_assert!(v.chars().count() <= 254 && v.matches('@').count() == 1);
            prop_assert!(!v.chars().any(char::is_whitespace));
            prop_assert_eq!(Email::parse(v), Ok(e.clone()));
            let logged = format!("{e:?}{e}");
            prop_assert!(!logged.contains(v));
        }
    }

    #[test]
    fn money_parse_is_total_and_round_trips(s in text()) {
        if let Ok(m) = Money::from_rupees_str(&s) {
            prop_assert_eq!(Money::from_rupees_str(&m.to_rupees_string()), Ok(m));
            prop_assert_eq!(Money::from_rupees_str(&m.to_string()), Ok(m));
        }
    }

    #[test]
    fn weight_parse_is_total_and_in_range(s in text()) {
        if let Ok(w) = Weight::parse(&s) {
            prop_assert!((1..=100_000).contains(&w.grams()));
            prop_assert_eq!(Weight::parse(&w.to_string()), Ok(w));
        }
    }

    #[test]
    fn dimensions_parse_is_total_and_valid(s in text()) {
        if let Ok(d) = Dimensions::parse(&s) {
            prop_assert!(d.length_mm() >= 6 && d.breadth_mm() >= 6 && d.height_mm() >= 6);
            prop_assert_eq!(Dimensions::parse(&d.to_string()), Ok(d));
        }
    }

    #[test]
    fn id_parses_are_total(s in text()) {
        if let Ok(id) = ShopOrderId::parse(&s) {
            prop_assert_eq!(ChannelOrderId::parse(id.as_str()).map(|c| c.reship_attempt()), Ok(0));
        }
        if let Ok(c) = ChannelOrderId::parse(&s) {
            prop_assert_eq!(ChannelOrderId::parse(c.as_str()), Ok(c.clone()));
        }
        if let Ok(a) = Awb::parse(&s) {
            prop_assert!(!a.as_str().is_empty() && a.as_str().len() <= 40);
        }
    }

    #[test]
    fn status_labels_never_panic_and_keep_unknown_text(s in text()) {
        match from_label(&s) {
            StatusMapping::Unknown { raw } => prop_assert_eq!(raw, RawStatus::Label(s.clone())),
            StatusMapping::Informational { raw } => prop_assert_eq!(raw, RawStatus::Label(s.clone())),
            StatusMapping::State(_) => {}
        }
        let _ = from_sr_status(&s);
    }

    #[test]
    fn valid_pincodes_round_trip(p in "[1-9][0-9]{5}") {
        let parsed = Pincode::parse(&p).expect("valid pincode");
        prop_assert_eq!(parsed.as_str(), p.as_str());
        prop_assert_eq!(from_string::<Pincode>(String::from(parsed.clone())).ok(), Some(parsed));
    }

    #[test]
    fn valid_phones_round_trip_in_every_accepted_form(national in "[6-9][0-9]{9}", form in 0usize..7) {
        let (a, b) = national.split_at(5);
        let written = match form {
            0 => national.clone(),
            1 => format!("+91 {a} {b}"),
            2 => format!("0{national}"),
            3 => format!("91{national}"),
            4 => format!("{a}-{b}"),
            5 => format!("0091 {a} {b}"),
            _ => format!("+91-{national}"),
        };
        let p = Phone::parse(&written).expect("valid phone");
        prop_assert_eq!(p.as_str(), national.as_str());
        prop_assert_eq!(p.masked(), format!("{}******{}", &national[..2], &national[8..]));
        prop_assert_eq!(from_string::<Phone>(written).ok(), Some(p.clone()));
        prop_assert_eq!(from_string::<Phone>(String::from(p.clone())).ok(), Some(p));
    }

    #[test]
    fn money_round_trips_through_rupee_text(paise in any::<u64>()) {
        let m = Money::from_paise(paise);
        prop_assert_eq!(Money::from_rupees_str(&m.to_rupees_string()), Ok(m));
    }

    #[test]
    fn weights_round_trip_through_kg(grams in 1u32..=100_000) {
        let w = Weight::from_grams(grams).expect("in range");
        prop_assert_eq!(Weight::from_kg(w.as_kg()), Ok(w));
        prop_assert_eq!(Weight::parse(&w.to_string()), Ok(w));
    }
}
