//! Tolerant decoding of Shiprocket's JSON, used only at this edge.
//!
//! Shiprocket sends numbers as strings (`"0.50"`, `"4"`), strings as numbers (AWBs, pincodes),
//! booleans as `true`/`1`/`"1"`/`"true"`, and "nothing" as `null`, `""`, `"NA"` or
//! `"0000-00-00 00:00:00"`. These functions accept every form and hand the caller one strict
//! Rust type. Each is used through `#[serde(deserialize_with = "...")]`, and each `opt_*`
//! variant is meant to be combined with `#[serde(default)]` so a missing field is `None`.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Any JSON scalar, as seen before we decide what it means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// An array or object where a scalar was expected. Kept so callers can say what they saw.
    Composite,
}

impl Scalar {
    /// `null`, `""`, `"NA"`, `"N/A"` and PHP's zero date all mean "no value".
    fn is_blank(&self) -> bool {
        match self {
            Scalar::Null => true,
            Scalar::Str(s) => {
                let t = s.trim();
                t.is_empty()
                    || t.eq_ignore_ascii_case("na")
                    || t.eq_ignore_ascii_case("n/a")
                    || t.eq_ignore_ascii_case("null")
                    || t.starts_with("0000-00-00")
            }
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => format!("boolean {b}"),
            Scalar::Int(i) => format!("number {i}"),
            Scalar::UInt(u) => format!("number {u}"),
            Scalar::Float(f) => format!("number {f}"),
            Scalar::Str(s) => format!("string {s:?}"),
            Scalar::Composite => "an array or object".into(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON scalar")
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
                Scalar::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Composite)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Composite)
            }
        }
        d.deserialize_any(V)
    }
}

fn invalid<E: de::Error>(what: &str, got: &Scalar) -> E {
    E::custom(format!("expected {what}, got {}", got.describe()))
}

fn to_i64<E: de::Error>(s: &Scalar) -> Result<Option<i64>, E> {
    if s.is_blank() {
        return Ok(None);
    }
    match s {
        Scalar::Int(i) => Ok(Some(*i)),
        Scalar::UInt(u) => i64::try_from(*u).map(Some).map_err(|_| invalid("an integer", s)),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(*f as i64)),
        Scalar::Str(t) => {
            let t = t.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(i));
            }
            // "345.00" for an integer field: accept only when it really is whole.
            match t.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                _ => Err(invalid("an integer", s)),
            }
        }
        _ => Err(invalid("an integer", s)),
    }
}

fn to_f64<E: de::Error>(s: &Scalar) -> Result<Option<f64>, E> {
    if s.is_blank() {
        return Ok(None);
    }
    match s {
        Scalar::Int(i) => Ok(Some(*i as f64)),
        Scalar::UInt(u) => Ok(Some(*u as f64)),
        Scalar::Float(f) => Ok(Some(*f)),
        Scalar::Str(t) => t
            .trim()
            .replace(',', "")
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| invalid("a number", s)),
        _ => Err(invalid("a number", s)),
    }
}

fn to_bool<E: de::Error>(s: &Scalar) -> Result<Option<bool>, E> {
    match s {
        Scalar::Null => Ok(None),
        Scalar::Bool(b) => Ok(Some(*b)),
        Scalar::Int(0) | Scalar::UInt(0) => Ok(Some(false)),
        Scalar::Int(1) | Scalar::UInt(1) => Ok(Some(true)),
        Scalar::Float(f) if *f == 0.0 => Ok(Some(false)),
        Scalar::Float(f) if *f == 1.0 => Ok(Some(true)),
        Scalar::Str(t) => match t.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "1" | "true" | "yes" | "y" => Ok(Some(true)),
            "0" | "false" | "no" | "n" => Ok(Some(false)),
            _ => Err(invalid("a boolean", s)),
        },
        _ => Err(invalid("a boolean", s)),
    }
}

fn to_string(s: Scalar) -> Option<String> {
    match s {
        Scalar::Str(t) => {
            let t = t.trim();
            if t.is_empty() { None } else { Some(t.to_owned()) }
        }
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::UInt(u) => Some(u.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Bool(b) => Some(b.to_string()),
        Scalar::Null | Scalar::Composite => None,
    }
}

fn required<T, E: de::Error>(v: Option<T>, what: &str) -> Result<T, E> {
    v.ok_or_else(|| E::custom(format!("expected {what}, got nothing (null, empty or NA)")))
}

/// An integer id or count: `123`, `"123"`, `123.0`, `"123.00"`.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = Scalar::deserialize(d)?;
    let v = required(to_i64(&s)?, "an integer")?;
    u64::try_from(v).map_err(|_| invalid("a non-negative integer", &s))
}

/// Like [`u64`], but blank values (and `0`, which Shiprocket uses for "unset" ids) are `None`.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s = Scalar::deserialize(d)?;
    match to_i64(&s)? {
        None | Some(0) => Ok(None),
        Some(v) => u64::try_from(v).map(Some).map_err(|_| invalid("a non-negative integer", &s)),
    }
}

/// A signed integer, blank → `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    to_i64(&Scalar::deserialize(d)?)
}

/// A signed integer, required.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    required(to_i64(&Scalar::deserialize(d)?)?, "an integer")
}

/// A decimal amount or weight: `71.5`, `"0.50"`, `"1,234.00"`.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    required(to_f64(&Scalar::deserialize(d)?)?, "a number")
}

/// A decimal, blank → `None`.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    to_f64(&Scalar::deserialize(d)?)
}

/// A flag sent as `true`, `1`, `"1"`, `"true"` (and the false forms); blank → `false`.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(to_bool(&Scalar::deserialize(d)?)?.unwrap_or(false))
}

/// A flag, blank → `None`.
pub fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    to_bool(&Scalar::deserialize(d)?)
}

/// A text that may arrive as a number (AWB codes, pincodes, phone numbers); blank → `None`.
/// `"NA"` is kept as text here: where it means "nothing", use [`opt_text_na`].
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(to_string(Scalar::deserialize(d)?))
}

/// A text where `"NA"`/`"N/A"`/zero dates also mean "nothing".
pub fn opt_text_na<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = Scalar::deserialize(d)?;
    if s.is_blank() { Ok(None) } else { Ok(to_string(s)) }
}

/// A required text that may arrive as a number.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    required(to_string(Scalar::deserialize(d)?), "a text")
}

/// A text or a number, blank → empty string (for display-only fields that are never absent in
/// meaning, such as an activity description).
pub fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(to_string(Scalar::deserialize(d)?).unwrap_or_default())
}

/// A JSON document encoded inside a JSON string (`"others": "{\"a\":1}"`); an object passes
/// through; blank or undecodable text → `None` (it is informational only).
pub fn opt_embedded_json<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        serde_json::Value::String(s) => serde_json::from_str(&s).ok(),
        other => Some(other),
    })
}

/// A list that may be `null`, missing, an object keyed by index, or a list.
pub fn vec_or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        List(Vec<T>),
        Map(std::collections::BTreeMap<String, T>),
        Other(IgnoredAny),
    }
    Ok(match Option::<Either<T>>::deserialize(d)? {
        Some(Either::List(v)) => v,
        Some(Either::Map(m)) => m.into_values().collect(),
        Some(Either::Other(_)) | None => Vec::new(),
    })
}

/// `#[serde(default = "crate::de::default_true")]` for flags that are true unless said otherwise.
pub fn default_true() -> bool {
    true
}

/// Serialize a flag as Shiprocket's `0`/`1`.
pub fn ser_flag01<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
    u8::from(*v).serialize(s)
}

/// Serialize an optional flag as Shiprocket's `0`/`1`.
pub fn ser_opt_flag01<S: Serializer>(v: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    v.map(u8::from).serialize(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(deserialize_with = "u64")]
        id: u64,
        #[serde(default, deserialize_with = "opt_f64")]
        weight: Option<f64>,
        #[serde(default, deserialize_with = "flag")]
        cod: bool,
        #[serde(default, deserialize_with = "opt_text")]
        awb: Option<String>,
        #[serde(default, deserialize_with = "opt_text_na")]
        etd: Option<String>,
    }

    fn t(v: serde_json::Value) -> Result<T, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn numbers_arrive_as_strings_or_numbers() {
        for id in [json!(42), json!("42"), json!(42.0), json!("42.00"), json!(" 42 ")] {
            assert_eq!(t(json!({"id": id})).unwrap().id, 42);
        }
        assert_eq!(t(json!({"id": 1, "weight": "0.30"})).unwrap().weight, Some(0.3));
        assert_eq!(t(json!({"id": 1, "weight": 0.3})).unwrap().weight, Some(0.3));
        assert_eq!(t(json!({"id": 1, "weight": ""})).unwrap().weight, None);
        assert_eq!(t(json!({"id": 1, "weight": null})).unwrap().weight, None);
        assert_eq!(t(json!({"id": 1})).unwrap().weight, None);
    }

    #[test]
    fn bad_numbers_are_errors_not_zero() {
        assert!(t(json!({"id": "abc"})).is_err());
        assert!(t(json!({"id": 1.5})).is_err());
        assert!(t(json!({"id": -1})).is_err());
        assert!(t(json!({"id": null})).is_err());
        assert!(t(json!({"id": 1, "weight": "heavy"})).is_err());
    }

    #[test]
    fn booleans_in_every_form() {
        for (v, want) in [
            (json!(true), true),
            (json!(1), true),
            (json!("1"), true),
            (json!("true"), true),
            (json!(false), false),
            (json!(0), false),
            (json!("0"), false),
            (json!("false"), false),
            (json!(null), false),
        ] {
            assert_eq!(t(json!({"id": 1, "cod": v.clone()})).unwrap().cod, want, "{v}");
        }
        assert!(t(json!({"id": 1, "cod": "maybe"})).is_err());
        assert!(t(json!({"id": 1, "cod": 2})).is_err());
    }

    #[test]
    fn texts_from_numbers_and_blanks() {
        assert_eq!(t(json!({"id": 1, "awb": 19041400000123u64})).unwrap().awb.as_deref(), Some("19041400000123"));
        assert_eq!(t(json!({"id": 1, "awb": ""})).unwrap().awb, None);
        assert_eq!(t(json!({"id": 1, "etd": "NA"})).unwrap().etd, None);
        assert_eq!(t(json!({"id": 1, "etd": "0000-00-00 00:00:00"})).unwrap().etd, None);
        assert_eq!(t(json!({"id": 1, "awb": "NA"})).unwrap().awb.as_deref(), Some("NA"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(t(json!({"id": 7, "surprise": {"deep": [1, 2]}})).unwrap().id, 7);
    }
}
