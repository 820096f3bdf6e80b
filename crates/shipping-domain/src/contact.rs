//! Who and where: [`Pincode`], [`Phone`], [`Email`].
//!
//! Phones and e-mails are personal data. Their `Debug` and `Display` both print the masked form
//! (`98******01`, `a***@example.com`), so no log line, error or `format!` leaks them by accident;
//! the real value is only reachable on purpose, through [`Phone::as_str`] / `AsRef<str>` (and
//! serde, which must carry the real value to the database and to Shiprocket).

use crate::error::{DomainError, Field};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An Indian postal code: six ASCII digits, the first not `0` (no postal circle is numbered 0).
/// Surrounding whitespace is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pincode(String);

impl Pincode {
    pub fn parse(input: &str) -> Result<Pincode, DomainError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid(Field::Pincode, "must be exactly 6 digits"));
        }
        if s.starts_with('0') {
            return Err(DomainError::invalid(Field::Pincode, "cannot start with 0"));
        }
        Ok(Pincode(s.to_owned()))
    }
}

text_newtype!(Pincode);

impl fmt::Display for Pincode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Indian mobile number, normalised to its 10 national digits (first digit 6–9).
///
/// Accepted input forms: `9800000001`, `98000-00001`, `98000 00001`, `09800000001` (trunk 0),
/// `919800000001`, `+91 98000 00001`, `0091 98000 00001`. Spaces, hyphens, dots and brackets
/// are separators; a `+` is allowed only first and must be followed by 91. Landlines and
/// foreign numbers are refused: couriers call and text this number on delivery.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Longer input than this is not a phone number, whatever it contains.
const PHONE_MAX_INPUT: usize = 32;

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, DomainError> {
        let bad = |reason: &str| DomainError::invalid(Field::Phone, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("is empty"));
        }
        if s.len() > PHONE_MAX_INPUT {
            return Err(bad("is too long for a phone number"));
        }
        let (international, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(14);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad("may contain only digits, spaces, hyphens, dots, brackets and a leading +")),
            }
        }
        let national = if international {
            match digits.strip_prefix("91") {
                Some(n) if n.len() == 10 => n,
                _ => return Err(bad("an international number must be +91 followed by 10 digits")),
            }
        } else {
            match digits.len() {
                10 => digits.as_str(),
                11 if digits.starts_with('0') => &digits[1..],
                12 if digits.starts_with("91") => &digits[2..],
                14 if digits.starts_with("0091") => &digits[4..],
                _ => return Err(bad("must be 10 digits, optionally after 0, 91, +91 or 0091")),
            }
        };
        if !national.starts_with(['6', '7', '8', '9']) {
            return Err(bad("an Indian mobile number starts with 6, 7, 8 or 9"));
        }
        Ok(Phone(national.to_owned()))
    }

    /// For logs: first two and last two digits, `98******01`.
    pub fn masked(&self) -> String {
        let (head, tail) = (&self.0[..2], &self.0[self.0.len() - 2..]);
        format!("{head}******{tail}")
    }
}

text_newtype!(Phone);

/// Masked: see the module documentation.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&self.masked()).finish()
    }
}

/// Masked: see the module documentation.
impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// An e-mail address, checked pragmatically: what a courier label and Shiprocket's validator
/// accept, not RFC 5322. Exactly one `@`; a non-empty local part of at most 64 characters; a
/// domain with at least one dot and no empty labels; no whitespace or control characters; at most
/// 254 characters. Surrounding whitespace is ignored and the domain is lower-cased (domains are
/// case-insensitive; local parts, in theory, are not).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, DomainError> {
        let bad = |reason: &str| DomainError::invalid(Field::Email, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("is empty"));
        }
        if s.chars().count() > 254 {
            return Err(bad("is longer than 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("contains spaces or control characters"));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(bad("has no @"));
        };
        if domain.contains('@') {
            return Err(bad("has more than one @"));
        }
        if local.is_empty() {
            return Err(bad("has nothing before the @"));
        }
        if local.chars().count() > 64 {
            return Err(bad("has more than 64 characters before the @"));
        }
        if domain.is_empty() {
            return Err(bad("has nothing after the @"));
        }
        if !domain.contains('.') {
            return Err(bad("domain has no dot"));
        }
        if domain.split('.').any(str::is_empty) {
            return Err(bad("domain has an empty part (leading, trailing or double dot)"));
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    /// For logs: first character of the local part, then `***@domain`, `a***@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((self.0.as_str(), ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

text_newtype!(Email);

/// Masked: see the module documentation.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&self.masked()).finish()
    }
}

/// Masked: see the module documentation.
impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StringDeserializer};

    fn de<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, DeError> {
        let d: StringDeserializer<DeError> = s.to_owned().into_deserializer();
        T::deserialize(d)
    }

    #[test]
    fn pincodes() {
        assert_eq!(Pincode::parse(" 110001 ").unwrap().as_str(), "110001");
        for bad in ["", "11000", "1100011", "011001", "11o001", "١١٠٠٠١", "110 01"] {
            let e = Pincode::parse(bad).unwrap_err();
            assert_eq!(e.field(), Some(Field::Pincode), "{bad:?}");
        }
        assert_eq!(Pincode::parse("011001").unwrap_err().to_string(), "invalid pincode: cannot start with 0");
    }

    #[test]
    fn phones_accept_the_usual_indian_forms() {
        for ok in [
            "+91 98000 00001",
            "09800000001",
            "919800000001",
            "98000-00001",
            "9800000001",
            "0091 98000 00001",
            "(0) 98000.00001",
        ] {
            let p = Phone::parse(ok);
            assert!(p.is_ok(), "{ok:?}: {p:?}");
        }
        assert_eq!(Phone::parse("+91 98000 00001").unwrap().as_str(), "9800000001");
        assert_eq!(Phone::parse("09800000001").unwrap().as_str(), "9800000001");
        assert_eq!(Phone::parse("919800000001").unwrap().as_str(), "9800000001");
        assert_eq!(Phone::parse("98000-00001").unwrap().as_str(), "9800000001");
    }

    #[test]
    fn phones_refuse_landlines_foreign_and_junk() {
        for bad in [
            "",
            "5800000001",      // not a mobile prefix
            "+1 415 555 0100", // foreign
            "+9198000000011",  // too long after +91
            "98000000",        // too short
            "98000x00001",
            "9+800000001",
            "919800000001234567890123456789012345",
            "९८०००००००००१", // Devanagari digits are not ASCII digits
        ] {
            assert_eq!(Phone::parse(bad).unwrap_err().field(), Some(Field::Phone), "{bad:?}");
        }
    }

    #[test]
    fn phone_is_masked_everywhere_but_as_str() {
        let p = Phone::parse("+91 98000 00001").unwrap();
        assert_eq!(p.masked(), "98******01");
        assert_eq!(format!("{p:?}"), "Phone(\"98******01\")");
        assert_eq!(p.to_string(), "98******01");
        assert_eq!(p.as_ref(), "9800000001");
        assert_eq!(String::from(p), "9800000001");
    }

    #[test]
    fn emails() {
        let e = Email::parse(" asha.k+orders@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "asha.k+orders@example.com");
        assert_eq!(e.masked(), "a***@example.com");
        assert_eq!(format!("{e:?}"), "Email(\"a***@example.com\")");
        assert_eq!(e.to_string(), "a***@example.com");
        for bad in [
            "",
            "asha",
            "asha@",
            "@example.com",
            "a@b@example.com",
            "asha@localhost",
            "asha@example..com",
            "asha@.example.com",
            "asha@example.com.",
            "as ha@example.com",
            "asha@exa\tmple.com",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().field(), Some(Field::Email), "{bad:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
        let too_long = format!("a@{}.com", "b".repeat(250));
        assert!(Email::parse(&too_long).is_err());
        let max = format!("a@{}.com", "b".repeat(248));
        assert_eq!(max.len(), 254);
        assert!(Email::parse(&max).is_ok());
    }

    #[test]
    fn deserialising_validates() {
        assert_eq!(de::<Pincode>("560001").unwrap().as_str(), "560001");
        assert!(de::<Pincode>("056001").is_err());
        assert_eq!(de::<Phone>("+91 98000 00001").unwrap().as_str(), "9800000001");
        assert!(de::<Phone>("12345").is_err());
        assert!(de::<Email>("nope").is_err());
    }
}
