//! The tracking webhook Shiprocket pushes to us: its payload, its (static) authentication and
//! the rule its URL must follow. Receiving it is the API's job; reading it belongs here, at the
//! one edge that knows Shiprocket's formats.

use crate::endpoints::tracking::TrackingActivity;
use crate::error::{Error, Result};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

/// The header carrying the token configured in Settings → API → Webhooks. No HMAC exists.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Words Shiprocket refuses anywhere in a webhook URL (a substring rule: `/usr/hook` contains
/// "sr", `/kr-api` contains "kr").
pub const FORBIDDEN_URL_WORDS: &[&str] = &["shiprocket", "kartrocket", "sr", "kr"];

/// Whether Shiprocket's dashboard would accept `url` as a webhook URL. Compared without case,
/// the stricter reading of an undocumented detail.
pub fn is_acceptable_webhook_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    !FORBIDDEN_URL_WORDS.iter().any(|w| lower.contains(w))
}

/// Compares the received `x-api-key` with the configured token in constant time.
pub fn verify_api_key(received: Option<&str>, expected: &str) -> bool {
    let Some(received) = received else { return false };
    let (a, b) = (received.as_bytes(), expected.as_bytes());
    if a.len() != b.len() || expected.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A tracking update as Shiprocket pushes it. Two status-code spaces arrive side by side:
/// `current_status_id` is an *order* status, `shipment_status_id` a *shipment* status.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrackingWebhook {
    /// A string, or a number from some accounts.
    #[serde(deserialize_with = "crate::de::text")]
    pub awb: String,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub courier_name: Option<String>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub current_status: Option<String>,
    /// Order-status space.
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub current_status_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub shipment_status: Option<String>,
    /// Shipment-status space.
    #[serde(default, deserialize_with = "crate::de::opt_i64")]
    pub shipment_status_id: Option<i64>,
    /// `"DD MM YYYY HH:MM:SS"`, IST.
    #[serde(default, deserialize_with = "crate::time::opt_datetime")]
    pub current_timestamp: Option<DateTime<FixedOffset>>,
    /// Our channel order id.
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    pub order_id: Option<String>,
    /// Shiprocket's order id.
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub sr_order_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub etd: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub awb_assigned_date: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "crate::time::lenient_datetime")]
    pub pickup_scheduled_date: Option<DateTime<FixedOffset>>,
    /// Oldest first in the published sample (unlike tracking answers).
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    pub scans: Vec<TrackingActivity>,
    #[serde(default, deserialize_with = "crate::de::flag")]
    pub is_return: bool,
    #[serde(default, deserialize_with = "crate::de::opt_id")]
    pub channel_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::de::opt_text_na")]
    pub pod_status: Option<String>,
}

impl TrackingWebhook {
    /// Reads a webhook body; anything without an AWB is rejected.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let hook: TrackingWebhook = crate::endpoints::json(body)?;
        if hook.awb.trim().is_empty() {
            return Err(Error::decode("awb", "the webhook carries no AWB"));
        }
        Ok(hook)
    }

    /// Identifies one event for deduplication: AWB, order-status id and timestamp.
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.awb,
            self.current_status_id.map(|c| c.to_string()).unwrap_or_default(),
            self.current_timestamp.map(|t| t.to_rfc3339()).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rule_is_a_substring_rule() {
        assert!(is_acceptable_webhook_url("https://shop.example.com/webhooks/courier-updates"));
        for bad in [
            "https://example.com/shiprocket-hook",
            "https://mysrv.example.com/hook",
            "https://example.com/hooks/krishna-store",
            "https://example.com/usr/hook",
            "https://example.com/SR",
        ] {
            assert!(!is_acceptable_webhook_url(bad), "{bad}");
        }
    }

    #[test]
    fn api_key_must_match_exactly() {
        assert!(verify_api_key(Some("s3cret"), "s3cret"));
        assert!(!verify_api_key(Some("s3cres"), "s3cret"));
        assert!(!verify_api_key(Some("s3cret "), "s3cret"));
        assert!(!verify_api_key(None, "s3cret"));
        assert!(!verify_api_key(Some(""), ""));
    }
}
