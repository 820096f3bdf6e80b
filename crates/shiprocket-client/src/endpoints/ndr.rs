//! NDR (non-delivery reports): `ndr/all` and `ndr/{awb}/action`.

use super::{Accepted, Endpoint, Page, PageRequest, decode_accepted, decode_page, refuse_if, to_body};
use crate::error::Result;
use chrono::{DateTime, FixedOffset};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// One failed delivery attempt in an NDR's history.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NdrAttempt {
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub ndr_attempt: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub ndr_reason: Option<String>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub ndr_raised_at: Option<DateTime<FixedOffset>>,
}

/// A shipment waiting for an NDR decision (customer fields left out on purpose).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NdrShipment {
    #[serde(deserialize_with = "crate::de::u64")]
    pub id: u64,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub shipment_id: Option<u64>,
    #[serde(deserialize_with = "crate::de::text")]
    pub awb_code: String,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub status: Option<String>,
    /// Order-status space (36 Undelivered).
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub status_code: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub attempts: Option<i64>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub ndr_raised_at: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub courier: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub payment_method: Option<String>,
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    pub history: Vec<NdrAttempt>,
}

/// `GET ndr/all` — a page of NDR shipments, optionally searched by AWB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListNdr {
    pub page: PageRequest,
    pub search_awb: Option<String>,
    /// `yyyy-mm-dd`.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Endpoint for ListNdr {
    type Response = Page<NdrShipment>;
    const NAME: &'static str = "ndr.list";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "ndr/all".into()
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        self.page.push(&mut q);
        for (k, v) in [("search", &self.search_awb), ("from", &self.from), ("to", &self.to)] {
            if let Some(v) = v {
                q.push((k, v.clone()));
            }
        }
        q
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<Page<NdrShipment>> {
        decode_page(body)
    }
}

/// The NDR verbs, hyphenated as Shiprocket wants them (quirk #19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NdrActionKind {
    #[serde(rename = "re-attempt")]
    ReAttempt,
    #[serde(rename = "return")]
    Return,
    #[serde(rename = "fake-attempt")]
    FakeAttempt,
}

/// The body of an NDR action.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct NdrActionBody {
    pub action: NdrActionKind,
    /// Required by Shiprocket.
    pub comments: String,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    /// `yyyy-mm-dd`, for a re-attempt on a given day.
    #[serde(default, deserialize_with = "crate::de::opt_text", skip_serializing_if = "Option::is_none")]
    pub deferred_date: Option<String>,
}

impl fmt::Debug for NdrActionBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NdrActionBody")
            .field("action", &self.action)
            .field("deferred_date", &self.deferred_date)
            .field("new_phone", &self.phone.is_some())
            .field("new_address", &self.address1.is_some())
            .finish()
    }
}

/// `POST ndr/{awb}/action` — re-attempt, return to origin, or dispute a fake attempt. Success
/// is a 202 `{"status": "Data Updated Sucessfully"}` (sic).
#[derive(Debug, Clone, PartialEq)]
pub struct NdrAction {
    pub awb: String,
    pub body: NdrActionBody,
}

impl Endpoint for NdrAction {
    type Response = Accepted;
    const NAME: &'static str = "ndr.action";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        format!("ndr/{}/action", self.awb.trim()).into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        refuse_if(self.awb.trim().is_empty() || self.awb.contains('/'), "an AWB is required")?;
        refuse_if(self.body.comments.trim().is_empty(), "NDR actions need a comment")?;
        to_body(&self.body)
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<Accepted> {
        decode_accepted(status, body)
    }
}
