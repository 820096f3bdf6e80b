//! Pickup addresses: `settings/company/pickup` (list) and `settings/company/addpickup`.

use super::{Endpoint, checked_json, to_body};
use crate::error::{Error, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A warehouse Shiprocket can collect from. `pickup_location` is the nickname orders refer to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PickupLocation {
    #[serde(deserialize_with = "crate::de::u64")]
    pub id: u64,
    #[serde(alias = "pickup_code", deserialize_with = "crate::de::text")]
    pub pickup_location: String,
    /// The warehouse's address (the shop's, not a customer's).
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub address_2: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub country: Option<String>,
    #[serde(deserialize_with = "crate::de::text")]
    pub pin_code: String,
    /// New addresses need phone verification in the panel before use.
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub phone_verified: bool,
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub is_primary_location: bool,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub status: Option<i64>,
}

/// The company's pickup locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupLocations {
    pub locations: Vec<PickupLocation>,
    /// Whether more may be added (`"true"` as a string).
    pub allow_more: bool,
}

/// `GET settings/company/pickup`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListPickupLocations;

#[derive(Deserialize)]
struct RawList {
    data: RawListData,
}

#[derive(Deserialize)]
struct RawListData {
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    shipping_address: Vec<PickupLocation>,
    #[serde(default, deserialize_with = "crate::de::flag")]
    allow_more: bool,
}

impl Endpoint for ListPickupLocations {
    type Response = PickupLocations;
    const NAME: &'static str = "settings.pickup_locations";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "settings/company/pickup".into()
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<PickupLocations> {
        let raw: RawList = checked_json(body)?;
        Ok(PickupLocations { locations: raw.data.shipping_address, allow_more: raw.data.allow_more })
    }
}

/// `POST settings/company/addpickup` — a new warehouse (nickname ≤ 36 chars, address ≤ 80).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AddPickupLocation {
    pub pickup_location: String,
    pub name: String,
    pub email: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub phone: String,
    pub address: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub address_2: Option<String>,
    pub city: String,
    pub state: String,
    pub country: String,
    #[serde(deserialize_with = "crate::de::text")]
    pub pin_code: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub gstin: Option<String>,
}

impl fmt::Debug for AddPickupLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddPickupLocation")
            .field("pickup_location", &self.pickup_location)
            .field("city", &self.city)
            .field("pin_code", &self.pin_code)
            .finish_non_exhaustive()
    }
}

/// The added location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedPickupLocation {
    pub pickup_id: u64,
    pub location: PickupLocation,
}

#[derive(Deserialize)]
struct RawAdded {
    #[serde(default = "crate::de::default_true", deserialize_with = "crate::de::flag")]
    success: bool,
    #[serde(deserialize_with = "crate::de::u64")]
    pickup_id: u64,
    address: PickupLocation,
}

impl Endpoint for AddPickupLocation {
    type Response = AddedPickupLocation;
    const NAME: &'static str = "settings.add_pickup_location";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "settings/company/addpickup".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        let mut fields = crate::error::FieldErrors::new();
        if self.pickup_location.trim().is_empty() || self.pickup_location.chars().count() > 36 {
            fields.insert("pickup_location".into(), vec!["must be 1 to 36 characters".into()]);
        }
        if self.address.trim().is_empty() || self.address.chars().count() > 80 {
            fields.insert("address".into(), vec!["must be 1 to 80 characters".into()]);
        }
        if !fields.is_empty() {
            return Err(Error::Validation { message: "the pickup location is invalid".into(), fields });
        }
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<AddedPickupLocation> {
        let raw: RawAdded = checked_json(body)?;
        if !raw.success {
            return Err(Error::validation("Shiprocket did not add the pickup location"));
        }
        Ok(AddedPickupLocation { pickup_id: raw.pickup_id, location: raw.address })
    }
}
