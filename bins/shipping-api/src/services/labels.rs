//! Labels: a signed, expiring link to a shipment's current label, the label itself, and the labels of many shipments as one ZIP.

use super::{Download, ServiceError, ServiceResult, distinct_ids, load_shipment};
use crate::auth::sign_label;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The most shipments one ZIP (or merged PDF) holds.
pub const MAX_ZIP: usize = 200;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LabelLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A link to shipment `id`'s current label, valid for `auth.label_url_ttl_secs`.
pub async fn label_link(state: &AppState, id: i64) -> ServiceResult<LabelLink> {
    load_shipment(state, id).await?;
    if state.store.latest_document(id, "label").await?.is_none() {
        return Err(ServiceError::NotFound(format!(
            "shipment {id} has no label yet; POST /v1/shipments/{id}/label to generate one"
        )));
    }
    let ttl = i64::try_from(state.settings.auth.label_url_ttl_secs).unwrap_or(900);
    let expires = Utc::now().timestamp() + ttl;
    let sig = sign_label(&state.signing_key, id, expires);
    let base = state.settings.server.public_base_url.trim_end_matches('/');
    Ok(LabelLink {
        url: format!("{base}/v1/labels/{id}?expires={expires}&sig={sig}"),
        expires_at: DateTime::from_timestamp(expires, 0).unwrap_or_else(Utc::now),
    })
}

/// Shipment `id`'s current label, to show (the caller has checked the signed link).
pub async fn label_download(state: &AppState, id: i64) -> ServiceResult<Download> {
    let doc = state
        .store
        .latest_document(id, "label")
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("shipment {id} has no label")))?;
    Ok(Download {
        content_type: doc.content_type,
        disposition: format!("inline; filename=\"label-{id}.pdf\""),
        cache_control: Some("private, no-store"),
        body: doc.content,
    })
}

/// The current labels of `ids` as one ZIP (`label-<id>.pdf`; `missing.txt` lists those
/// without one).
pub async fn labels_zip(state: &AppState, ids: Vec<i64>) -> ServiceResult<Download> {
    let mut docs = Vec::new();
    let mut missing = Vec::new();
    for id in distinct_ids(ids, MAX_ZIP)? {
        match state.store.latest_document(id, "label").await? {
            Some(d) => docs.push((id, d.content)),
            None => missing.push(id),
        }
    }
    if docs.is_empty() {
        return Err(ServiceError::NotFound("none of these shipments has a label yet".into()));
    }
    let bytes = tokio::task::spawn_blocking(move || write_zip(&docs, &missing))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
    Ok(Download {
        content_type: "application/zip".into(),
        disposition: "attachment; filename=\"labels.zip\"".into(),
        cache_control: Some("private, no-store"),
        body: bytes,
    })
}

/// The current labels of `ids` in id order, leaving out those without one (none: not found).
pub async fn current_labels(state: &AppState, ids: Vec<i64>) -> ServiceResult<Vec<Vec<u8>>> {
    let mut docs = Vec::new();
    for id in distinct_ids(ids, MAX_ZIP)? {
        if let Some(d) = state.store.latest_document(id, "label").await? {
            docs.push(d.content);
        }
    }
    if docs.is_empty() {
        return Err(ServiceError::NotFound("none of these shipments has a label yet".into()));
    }
    Ok(docs)
}

fn write_zip(docs: &[(i64, Vec<u8>)], missing: &[i64]) -> Result<Vec<u8>, zip::result::ZipError> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // PDFs are compressed inside already: stored is as small and much cheaper.
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (id, content) in docs {
        out.start_file(format!("label-{id}.pdf"), opts)?;
        out.write_all(content)?;
    }
    if !missing.is_empty() {
        out.start_file("missing.txt", opts)?;
        let list = missing.iter().map(|id| format!("shipment {id}: no label yet\n")).collect::<String>();
        out.write_all(list.as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}
