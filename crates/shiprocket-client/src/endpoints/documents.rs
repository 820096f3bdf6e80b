//! PDFs: `manifests/generate`, `manifests/print`, `courier/generate/label`,
//! `orders/print/invoice`. Each answers with a URL to download; an empty URL is a failure.

use super::{Endpoint, TimeoutClass, checked_json, to_body};
use crate::error::{Error, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Where to download a generated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentUrl {
    pub url: String,
    /// Ids Shiprocket could not include (labels, invoices).
    pub not_created: Vec<u64>,
}

fn require_ids(ids: &[u64], what: &str) -> Result<()> {
    if ids.is_empty() { Err(Error::validation(format!("no {what} given"))) } else { Ok(()) }
}

fn document(
    url: Option<String>,
    not_created: Vec<serde_json::Value>,
    failure: impl FnOnce() -> String,
) -> Result<DocumentUrl> {
    match url {
        Some(url) => Ok(DocumentUrl {
            url,
            not_created: not_created
                .iter()
                .filter_map(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .collect(),
        }),
        None => Err(Error::validation(failure())),
    }
}

/// `POST manifests/generate` — the pickup manifest for shipments with AWB and pickup. A
/// second call answers 400 with `already_manifested_shipment_ids` (→ [`Error::Conflict`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateManifest {
    pub shipment_id: Vec<u64>,
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    manifest_url: Option<String>,
}

impl Endpoint for GenerateManifest {
    type Response = DocumentUrl;
    const NAME: &'static str = "manifests.generate";
    const METHOD: Method = Method::POST;
    const TIMEOUT: TimeoutClass = TimeoutClass::Document;

    fn path(&self) -> Cow<'static, str> {
        "manifests/generate".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        require_ids(&self.shipment_id, "shipment ids")?;
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<DocumentUrl> {
        let raw: RawManifest = checked_json(body)?;
        document(raw.manifest_url, Vec::new(), || "no manifest was generated (empty manifest_url)".into())
    }
}

/// `POST manifests/print` — re-print manifests of Shiprocket order ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintManifest {
    pub order_ids: Vec<u64>,
}

impl Endpoint for PrintManifest {
    type Response = DocumentUrl;
    const NAME: &'static str = "manifests.print";
    const METHOD: Method = Method::POST;
    const TIMEOUT: TimeoutClass = TimeoutClass::Document;

    fn path(&self) -> Cow<'static, str> {
        "manifests/print".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        require_ids(&self.order_ids, "order ids")?;
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<DocumentUrl> {
        let raw: RawManifest = checked_json(body)?;
        document(raw.manifest_url, Vec::new(), || "no manifest found for these orders (empty manifest_url)".into())
            .map_err(|e| Error::NotFound { message: e.to_string() })
    }
}

/// `POST courier/generate/label` — shipping labels (needs the AWB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateLabel {
    pub shipment_id: Vec<u64>,
}

#[derive(Deserialize)]
struct RawLabel {
    #[serde(default, deserialize_with = "crate::de::flag")]
    label_created: bool,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    label_url: Option<String>,
    #[serde(default, deserialize_with = "crate::de::text_or_empty")]
    response: String,
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    not_created: Vec<serde_json::Value>,
}

impl Endpoint for GenerateLabel {
    type Response = DocumentUrl;
    const NAME: &'static str = "courier.generate_label";
    const METHOD: Method = Method::POST;
    const TIMEOUT: TimeoutClass = TimeoutClass::Document;

    fn path(&self) -> Cow<'static, str> {
        "courier/generate/label".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        require_ids(&self.shipment_id, "shipment ids")?;
        to_body(self)
    }

    /// `label_created: 0` in a 200 is a failure (quirk #1).
    fn decode(&self, _status: u16, body: &[u8]) -> Result<DocumentUrl> {
        let raw: RawLabel = checked_json(body)?;
        let url = raw.label_url.filter(|_| raw.label_created);
        let reason = raw.response;
        document(url, raw.not_created, || if reason.is_empty() { "label was not created".into() } else { reason })
    }
}

/// `POST orders/print/invoice` — invoices of Shiprocket order ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintInvoice {
    pub ids: Vec<u64>,
}

#[derive(Deserialize)]
struct RawInvoice {
    #[serde(default, deserialize_with = "crate::de::flag")]
    is_invoice_created: bool,
    #[serde(default, deserialize_with = "crate::de::opt_text")]
    invoice_url: Option<String>,
    #[serde(default, deserialize_with = "crate::de::text_or_empty")]
    message: String,
    #[serde(default, deserialize_with = "crate::de::vec_or_empty")]
    not_created: Vec<serde_json::Value>,
}

impl Endpoint for PrintInvoice {
    type Response = DocumentUrl;
    const NAME: &'static str = "orders.print_invoice";
    const METHOD: Method = Method::POST;
    const TIMEOUT: TimeoutClass = TimeoutClass::Document;

    fn path(&self) -> Cow<'static, str> {
        "orders/print/invoice".into()
    }

    fn body(&self) -> Result<Option<serde_json::Value>> {
        require_ids(&self.ids, "order ids")?;
        to_body(self)
    }

    fn decode(&self, _status: u16, body: &[u8]) -> Result<DocumentUrl> {
        let raw: RawInvoice = checked_json(body)?;
        let url = raw.invoice_url.filter(|_| raw.is_invoice_created);
        let reason = raw.message;
        document(url, raw.not_created, || if reason.is_empty() { "invoice was not created".into() } else { reason })
    }
}
