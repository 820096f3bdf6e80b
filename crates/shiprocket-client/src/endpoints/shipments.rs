//! `POST orders/cancel/shipment/awbs` — cancel shipments by AWB (before "Out for Pickup").

use super::{Accepted, Endpoint, decode_accepted, to_body};
use crate::error::{Error, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Cancels up to 2000 shipments. Answers 204 and works asynchronously: confirm through
/// tracking (shipment status 8 Cancelled) rather than trusting the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelShipments {
    pub awbs: Vec<String>,
}

impl Endpoint for CancelShipments {
    type Response = Accepted;
    const NAME: &'static str = "shipments.cancel_awbs";
    const METHOD: Method = Method::POST;

    fn path(&self) -> Cow<'static, str> {
        "orders/cancel/shipment/awbs".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        if self.awbs.is_empty() || self.awbs.len() > 2000 {
            return Err(Error::validation("between 1 and 2000 AWBs can be cancelled per call"));
        }
        to_body(self)
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<Accepted> {
        decode_accepted(status, body)
    }
}
