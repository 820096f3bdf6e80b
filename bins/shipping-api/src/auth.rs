//! API keys for admin, action and ingest routes (several keys, compared in constant time), and
//! signed, expiring URLs for label downloads.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who called: the index of the key used (never the key itself), for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: String,
}

/// The configured keys, kept only as SHA-256 digests so every comparison has the same length.
#[derive(Clone)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} keys)", self.digests.len())
    }
}

fn digest(s: &[u8]) -> [u8; 32] {
    Sha256::digest(s).into()
}

impl ApiKeys {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> ApiKeys {
        ApiKeys { digests: keys.into_iter().map(|k| digest(k.as_bytes())).collect() }
    }

    /// The index of the matching key. Every configured key is compared, in constant time,
    /// whatever matches: the timing says nothing about which key or how much of it matched.
    pub fn check(&self, presented: &str) -> Option<usize> {
        let d = digest(presented.as_bytes());
        let mut found = None;
        for (i, k) in self.digests.iter().enumerate() {
            if bool::from(k.ct_eq(&d)) {
                found = Some(i);
            }
        }
        found
    }
}

/// The key from `Authorization: Bearer <key>` or `x-api-key: <key>`.
fn presented_key(parts: &Parts) -> Option<&str> {
    if let Some(v) = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if let Some(rest) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")) {
            return Some(rest.trim());
        }
    }
    parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = presented_key(parts).filter(|k| !k.is_empty()).ok_or(ApiError::Unauthorized)?;
        let index = state.api_keys.check(key).ok_or(ApiError::Unauthorized)?;
        Ok(Caller { actor: format!("api-key#{index}") })
    }
}

/// HMAC-SHA256 (RFC 2104) over `message`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature of a label link for `shipment_id` valid until `expires` (unix seconds).
pub fn sign_label(key: &[u8], shipment_id: i64, expires: i64) -> String {
    hex(&hmac_sha256(key, format!("label:{shipment_id}:{expires}").as_bytes()))
}

/// Checks a label link: signature first (constant time), then expiry.
pub fn verify_label(key: &[u8], shipment_id: i64, expires: i64, sig: &str, now: i64) -> Result<(), ApiError> {
    let expected = sign_label(key, shipment_id, expires);
    if !bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
        return Err(ApiError::Forbidden("invalid_signature"));
    }
    if now >= expires {
        return Err(ApiError::Forbidden("link_expired"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn keys_match_exactly_and_report_which() {
        let keys = ApiKeys::new(["alpha", "beta"]);
        assert_eq!(keys.check("beta"), Some(1));
        assert_eq!(keys.check("alpha"), Some(0));
        assert_eq!(keys.check("alph"), None);
        assert_eq!(keys.check(""), None);
        assert_eq!(ApiKeys::new([]).check("alpha"), None);
    }

    #[test]
    fn label_links_expire_and_cannot_be_altered() {
        let sig = sign_label(b"k", 7, 1_000);
        assert!(verify_label(b"k", 7, 1_000, &sig, 999).is_ok());
        assert_eq!(verify_label(b"k", 7, 1_000, &sig, 1_000).unwrap_err().code(), "link_expired");
        assert_eq!(verify_label(b"k", 8, 1_000, &sig, 999).unwrap_err().code(), "invalid_signature");
        assert_eq!(verify_label(b"k", 7, 2_000, &sig, 999).unwrap_err().code(), "invalid_signature");
    }
}
