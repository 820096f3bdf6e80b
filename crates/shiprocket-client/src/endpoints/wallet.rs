//! `GET account/details/wallet-balance` — the prepaid wallet; AWB assignment fails when it is low.

use super::{Endpoint, checked_json};
use crate::error::Result;
use reqwest::Method;
use serde::Deserialize;
use std::borrow::Cow;

/// Asks for the wallet balance.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetWalletBalance;

/// The balance in rupees (sent as a string, may be negative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalletBalance {
    pub balance_rupees: f64,
}

#[derive(Deserialize)]
struct Raw {
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(deserialize_with = "crate::de::f64")]
    balance_amount: f64,
}

impl Endpoint for GetWalletBalance {
    type Response = WalletBalance;
    const NAME: &'static str = "account.wallet_balance";
    const METHOD: Method = Method::GET;

    fn path(&self) -> Cow<'static, str> {
        "account/details/wallet-balance".into()
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<WalletBalance> {
        let raw: Raw = checked_json(body)?;
        Ok(WalletBalance { balance_rupees: raw.data.balance_amount })
    }
}
