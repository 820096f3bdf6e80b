//! PII masking for logs. Request and response bodies are only ever logged through
//! [`mask_json`], which replaces customer names, phones, e-mails, addresses, credentials and
//! tokens with `[redacted]` before anything is formatted.

use serde_json::Value;

/// Substrings of JSON keys whose values are personal data or secrets.
const SENSITIVE_KEY_PARTS: &[&str] = &[
    "name",
    "phone",
    "email",
    "address",
    "password",
    "token",
    "consignee",
    "gstin",
    "delivered_to",
    "lat",
    "long",
    "comment",
    "remarks",
    "instruction",
    "landmark",
    "isd_code",
];

/// Keys that contain a sensitive part but are not personal: couriers, channels and shop-side
/// identifiers that operators need in logs.
const ALLOWED_KEYS: &[&str] = &[
    "courier_name",
    "child_courier_name",
    "channel_name",
    "base_channel_code",
    "pickup_location",
    "courier_company_id",
    "rto_address_id",
    "pickup_token_number",
    "longitude_required",
];

/// Whether the value under `key` must be masked.
pub fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if ALLOWED_KEYS.contains(&k.as_str()) {
        return false;
    }
    SENSITIVE_KEY_PARTS.iter().any(|p| k.contains(p))
}

/// A copy of `value` with every sensitive field replaced; structure, ids, amounts and statuses
/// are kept so the log stays useful.
pub fn mask_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = if is_sensitive_key(k) && !v.is_null() && !is_empty_text(v) {
                        match v {
                            Value::Object(_) | Value::Array(_) => mask_all(v),
                            _ => Value::String("[redacted]".into()),
                        }
                    } else {
                        mask_json(v)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_json).collect()),
        other => other.clone(),
    }
}

fn is_empty_text(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.is_empty())
}

/// Everything under a sensitive key is masked, whatever its own keys are.
fn mask_all(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), mask_all(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(mask_all).collect()),
        Value::Null => Value::Null,
        _ => Value::String("[redacted]".into()),
    }
}

/// Masks a raw body for logging: JSON is masked field by field; anything else (HTML error
/// pages, PDFs) is summarised by its length, since it cannot be masked reliably.
pub fn mask_body(body: &[u8], limit: usize) -> String {
    if body.is_empty() {
        return String::new();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let mut s = mask_json(&v).to_string();
            if s.len() > limit {
                let mut cut = limit;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
                s.push('…');
            }
            s
        }
        Err(_) => format!("<{} bytes, not JSON>", body.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_customer_fields_and_keeps_the_rest() {
        let v = json!({
            "order_id": "WEB-1", "billing_customer_name": "Asha", "billing_phone": 9800000001u64,
            "billing_email": "asha@example.com", "billing_address": "Flat 12", "courier_name": "Blue Dart",
            "order_items": [{"name": "Shirt", "sku": "S1", "units": 2}], "token": "eyJ...",
            "shipped_by": {"shipper_phone": "98", "shipper_city": "Pune"}, "shipping_email": ""
        });
        let m = mask_json(&v).to_string();
        for secret in ["Asha", "9800000001", "asha@example.com", "Flat 12", "eyJ", "\"98\""] {
            assert!(!m.contains(secret), "{secret} leaked in {m}");
        }
        for kept in ["WEB-1", "Blue Dart", "S1", "Pune"] {
            assert!(m.contains(kept), "{kept} missing from {m}");
        }
    }

    #[test]
    fn non_json_bodies_are_summarised() {
        assert_eq!(mask_body(b"<html>502</html>", 100), "<16 bytes, not JSON>");
        assert!(mask_body(br#"{"a":"xxxxxxxxxxxxxxxxxxxxxxxx"}"#, 10).ends_with('…'));
    }
}
