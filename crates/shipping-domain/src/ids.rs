//! Identifiers: ours ([`ShopOrderId`], [`ChannelOrderId`]) and Shiprocket's ([`ShiprocketOrderId`],
//! [`ShipmentId`], [`Awb`]).

use crate::error::{DomainError, Field};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU64;

/// Shiprocket's limit on the channel `order_id` of `orders/create/adhoc`.
pub const MAX_CHANNEL_ORDER_ID_CHARS: usize = 50;

/// The shop's own order id: 1 to 50 characters after trimming, no control characters.
///
/// It may not end in a re-ship or exchange suffix (`-R1`, `-r12`, `-X2`, ...): those suffixes
/// are how [`ChannelOrderId`] tells a shop order's parcels apart, and a shop order literally
/// called `100-R1` would collide with the first re-shipment of order `100` — the
/// lookup-before-retry of the exactly-once rule would then adopt the wrong Shiprocket order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopOrderId(String);

impl ShopOrderId {
    pub fn parse(input: &str) -> Result<ShopOrderId, DomainError> {
        let bad = |reason: &str| DomainError::invalid(Field::ShopOrderId, reason);
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("is empty"));
        }
        if s.chars().count() > MAX_CHANNEL_ORDER_ID_CHARS {
            return Err(bad("is longer than 50 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(bad("contains control characters"));
        }
        if Suffix::ALL.iter().any(|suffix| suffix.split(s).is_some()) {
            return Err(bad("ends like a re-ship or exchange suffix (-R<number>, -X<number>), which is reserved"));
        }
        Ok(ShopOrderId(s.to_owned()))
    }
}

text_newtype!(ShopOrderId);

impl fmt::Display for ShopOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The suffixes a channel order id may carry after the shop order id, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    /// `-X<n>`: the n-th exchange's replacement parcel.
    Exchange,
    /// `-R<n>`: the n-th re-shipment after Shiprocket cancelled the id before it.
    Reship,
}

impl Suffix {
    const ALL: [Suffix; 2] = [Suffix::Exchange, Suffix::Reship];

    fn letter(self) -> char {
        match self {
            Suffix::Exchange => 'X',
            Suffix::Reship => 'R',
        }
    }

    /// `base-L<n>` with L this suffix's letter in either case and n digits: the base and the
    /// digits (written any way; strictness is the caller's).
    fn split(self, s: &str) -> Option<(&str, &str)> {
        let (base, n) = s.rsplit_once('-')?;
        let mut chars = n.chars();
        let letter = chars.next()?;
        let digits = chars.as_str();
        (letter.eq_ignore_ascii_case(&self.letter())
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some((base, digits))
    }

    /// Strips this suffix from the end of `s` if it is there, exactly as [`ChannelOrderId`]
    /// writes it: capital letter, a number from 1, no leading zeros.
    fn strip(self, s: &str) -> Result<(&str, u32), DomainError> {
        let Some((base, digits)) = self.split(s) else {
            return Ok((s, 0));
        };
        let bad = |reason: String| DomainError::invalid(Field::ChannelOrderId, reason);
        let letter = self.letter();
        let n: u32 = digits.parse().map_err(|_| bad(format!("the -{letter} number is too large")))?;
        if n == 0 || digits.starts_with('0') || !s.ends_with(&format!("-{letter}{n}")) {
            return Err(bad(format!(
                "the suffix must be -{letter}1, -{letter}2, ... (capital {letter}, no leading zeros)"
            )));
        }
        Ok((base, n))
    }
}

/// The `order_id` we send to Shiprocket for one parcel of a shop order: the shop order id for
/// its first shipment, plus `-X<e>` for the replacement of its e-th exchange, plus `-R<n>` for
/// the n-th re-shipment of either. Shiprocket never lets a cancelled order id be reused, so
/// every re-ship after a cancellation needs the next, recorded, attempt number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelOrderId {
    text: String,
    shop_order_id: ShopOrderId,
    exchange: u32,
    reship_attempt: u32,
}

/// The channel order id for `shop_order_id`'s `reship_attempt`-th re-shipment (0 = the first
/// shipment, no suffix). Fails when the suffix would push the id past Shiprocket's 50 characters.
pub fn channel_order_id(shop_order_id: &ShopOrderId, reship_attempt: u32) -> Result<ChannelOrderId, DomainError> {
    ChannelOrderId::for_parcel(shop_order_id, 0, reship_attempt)
}

impl ChannelOrderId {
    /// The id of a parcel of `shop_order_id`: `exchange` 0 for the order's own parcel, n for the
    /// replacement of its n-th exchange; `reship_attempt` 0 for the first create under it. Fails
    /// when the suffixes would push the id past Shiprocket's 50 characters.
    pub fn for_parcel(
        shop_order_id: &ShopOrderId,
        exchange: u32,
        reship_attempt: u32,
    ) -> Result<ChannelOrderId, DomainError> {
        let mut text = shop_order_id.as_str().to_owned();
        for (suffix, n) in [(Suffix::Exchange, exchange), (Suffix::Reship, reship_attempt)] {
            if n > 0 {
                text.push_str(&format!("-{}{n}", suffix.letter()));
            }
        }
        if text.chars().count() > MAX_CHANNEL_ORDER_ID_CHARS {
            return Err(DomainError::invalid(
                Field::ChannelOrderId,
                format!("{text:?}: the parcel's suffix makes it longer than 50 characters"),
            ));
        }
        Ok(ChannelOrderId { text, shop_order_id: shop_order_id.clone(), exchange, reship_attempt })
    }

    /// Reads back an id we generated (from a webhook's `order_id`, or an orders-list search).
    /// Only the exact form [`ChannelOrderId::for_parcel`] produces is accepted: `-R0`, `-R01`
    /// or `-R1-X1` are not.
    pub fn parse(input: &str) -> Result<ChannelOrderId, DomainError> {
        let s = input.trim();
        let (rest, reship_attempt) = Suffix::Reship.strip(s)?;
        let (base, exchange) = Suffix::Exchange.strip(rest)?;
        let shop = ShopOrderId::parse(base).map_err(|e| match e {
            DomainError::Invalid { reason, .. } => DomainError::Invalid { field: Field::ChannelOrderId, reason },
            other => other,
        })?;
        ChannelOrderId::for_parcel(&shop, exchange, reship_attempt)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn shop_order_id(&self) -> &ShopOrderId {
        &self.shop_order_id
    }

    /// 0 for the order's own parcel; n for the replacement of its n-th exchange.
    pub fn exchange(&self) -> u32 {
        self.exchange
    }

    /// 0 for the first create under the id.
    pub fn reship_attempt(&self) -> u32 {
        self.reship_attempt
    }
}

impl AsRef<str> for ChannelOrderId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for ChannelOrderId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ChannelOrderId::parse(&s)
    }
}

impl From<ChannelOrderId> for String {
    fn from(id: ChannelOrderId) -> String {
        id.text
    }
}

impl fmt::Display for ChannelOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A numeric Shiprocket id (never 0). `$field` names it in errors.
macro_rules! numeric_id {
    ($(#[$doc:meta])* $t:ident, $field:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u64")]
        pub struct $t(NonZeroU64);

        impl $t {
            pub fn new(id: u64) -> Result<$t, DomainError> {
                NonZeroU64::new(id).map($t).ok_or_else(|| DomainError::invalid($field, "must be more than 0"))
            }

            /// Decimal digits, as Shiprocket sometimes sends ids as text.
            pub fn parse(input: &str) -> Result<$t, DomainError> {
                let s = input.trim();
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(DomainError::invalid($field, "must be a positive whole number"));
                }
                let id: u64 = s.parse().map_err(|_| DomainError::invalid($field, "is too large"))?;
                $t::new(id)
            }

            pub const fn get(self) -> u64 {
                self.0.get()
            }
        }

        impl TryFrom<u64> for $t {
            type Error = DomainError;
            fn try_from(id: u64) -> Result<Self, Self::Error> {
                $t::new(id)
            }
        }

        impl From<$t> for u64 {
            fn from(id: $t) -> u64 {
                id.get()
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// Shiprocket's `shipment_id`.
    ShipmentId,
    Field::ShipmentId
);
numeric_id!(
    /// Shiprocket's own `order_id` (the integer create returns; not our channel order id).
    ShiprocketOrderId,
    Field::ShiprocketOrderId
);

/// An air waybill number: 1 to 40 ASCII letters and digits (often all digits; kept as text so
/// leading zeros survive). Surrounding whitespace is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Awb(String);

impl Awb {
    pub fn parse(input: &str) -> Result<Awb, DomainError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DomainError::invalid(Field::Awb, "is empty"));
        }
        if s.len() > 40 {
            return Err(DomainError::invalid(Field::Awb, "is longer than 40 characters"));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DomainError::invalid(Field::Awb, "may contain only letters and digits"));
        }
        Ok(Awb(s.to_owned()))
    }
}

text_newtype!(Awb);

impl fmt::Display for Awb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn shop_order_ids() {
        assert_eq!(ShopOrderId::parse("  WEB-1001 ").unwrap().as_str(), "WEB-1001");
        assert_eq!(ShopOrderId::parse(&"x".repeat(50)).unwrap().as_str().len(), 50);
        assert_eq!(ShopOrderId::parse(&"é".repeat(50)).unwrap().as_str().chars().count(), 50);
        for bad in ["", "   ", &"x".repeat(51), "A\u{0}B", "A\nB", "100-R1", "100-r12", "100-X1", "100-x3"] {
            assert_eq!(ShopOrderId::parse(bad).unwrap_err().field(), Some(Field::ShopOrderId), "{bad:?}");
        }
        // Look-alikes of the suffix that are not one are fine.
        for ok in ["100-R", "100-RX", "100R1", "100-Q1", "100-X", "100-XR1", "100X1"] {
            assert!(ShopOrderId::parse(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn channel_order_ids_carry_the_reship_attempt() {
        let id = ShopOrderId::parse("WEB-1001").unwrap();
        assert_eq!(channel_order_id(&id, 0).unwrap().as_str(), "WEB-1001");
        assert_eq!(channel_order_id(&id, 1).unwrap().as_str(), "WEB-1001-R1");
        assert_eq!(channel_order_id(&id, 12).unwrap().as_str(), "WEB-1001-R12");

        let back = ChannelOrderId::parse("WEB-1001-R2").unwrap();
        assert_eq!((back.shop_order_id().as_str(), back.reship_attempt()), ("WEB-1001", 2));
        assert_eq!(ChannelOrderId::parse("WEB-1001").unwrap().reship_attempt(), 0);
        for bad in ["WEB-1001-R0", "WEB-1001-R01", "WEB-1001-r2", "X-R1-R2", "X-R99999999999"] {
            assert_eq!(ChannelOrderId::parse(bad).unwrap_err().field(), Some(Field::ChannelOrderId), "{bad:?}");
        }
    }

    #[test]
    fn channel_order_ids_carry_the_exchange_before_the_reship() {
        let id = ShopOrderId::parse("WEB-1001").unwrap();
        assert_eq!(ChannelOrderId::for_parcel(&id, 1, 0).unwrap().as_str(), "WEB-1001-X1");
        assert_eq!(ChannelOrderId::for_parcel(&id, 2, 3).unwrap().as_str(), "WEB-1001-X2-R3");
        let back = ChannelOrderId::parse("WEB-1001-X2-R3").unwrap();
        assert_eq!((back.shop_order_id().as_str(), back.exchange(), back.reship_attempt()), ("WEB-1001", 2, 3));
        assert_eq!(ChannelOrderId::parse("WEB-1001-R3").unwrap().exchange(), 0);
        // Only the one order of suffixes, each written once and exactly.
        for bad in ["WEB-1001-R3-X2", "WEB-1001-X0", "WEB-1001-X02", "WEB-1001-x2", "WEB-1001-X1-X2"] {
            assert_eq!(ChannelOrderId::parse(bad).unwrap_err().field(), Some(Field::ChannelOrderId), "{bad:?}");
        }
        let long = ShopOrderId::parse(&"x".repeat(44)).unwrap();
        assert_eq!(ChannelOrderId::for_parcel(&long, 9, 9).unwrap().as_str().len(), 50);
        assert!(ChannelOrderId::for_parcel(&long, 10, 9).is_err());
    }

    #[test]
    fn reship_suffix_must_fit_in_50_characters() {
        let id = ShopOrderId::parse(&"x".repeat(47)).unwrap();
        assert_eq!(channel_order_id(&id, 9).unwrap().as_str().len(), 50);
        assert_eq!(channel_order_id(&id, 10).unwrap_err().field(), Some(Field::ChannelOrderId));
    }

    #[test]
    fn numeric_ids_and_awbs() {
        assert_eq!(ShipmentId::new(15151515).unwrap().get(), 15151515);
        assert_eq!(ShipmentId::new(0).unwrap_err().field(), Some(Field::ShipmentId));
        assert_eq!(ShiprocketOrderId::parse(" 16161616 ").unwrap().get(), 16161616);
        assert_eq!(ShiprocketOrderId::parse("-1").unwrap_err().field(), Some(Field::ShiprocketOrderId));
        assert!(ShiprocketOrderId::parse("99999999999999999999").is_err());
        assert_eq!(Awb::parse("19041211125783").unwrap().as_str(), "19041211125783");
        assert_eq!(Awb::parse("SF123ABC").unwrap().to_string(), "SF123ABC");
        for bad in ["", "1904 1211", "19041211-5783", &"1".repeat(41)] {
            assert_eq!(Awb::parse(bad).unwrap_err().field(), Some(Field::Awb), "{bad:?}");
        }
    }
}
