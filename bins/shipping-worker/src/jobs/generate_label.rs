//! `generate_label`: ask Shiprocket for the label and keep the PDF (its URL expires; ops print
//! from our copy). The PDF and the label-ready milestone commit together.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use shipping_store::jobs::ShipmentJobV1;
use shiprocket_client::endpoints::documents::GenerateLabel;

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.cancel_requested_at.is_some() || ctx.store.latest_document(s.id, "label").await.job()?.is_some() {
        return Ok(());
    }
    let Some(sr_shipment_id) = s.sr_shipment_id.and_then(|v| u64::try_from(v).ok()).filter(|_| s.awb.is_some()) else {
        return Err(JobFailure::retry(format!("shipment {} has no AWB yet", s.id)));
    };
    let label = ctx
        .shiprocket
        .send(&GenerateLabel { shipment_id: vec![sr_shipment_id] })
        .await
        .map_err(|e| failure::from_api(&e))?;
    let pdf = download(ctx, &label.url).await?;
    crate::failpoint!("generate_label.before_commit");
    ctx.store.record_label(s.id, &label.url, pdf).await.job()?;
    crate::failpoint!("generate_label.after_commit");
    Ok(())
}

/// Fetches a PDF; a non-PDF answer is retried (S3 sometimes serves an error page).
pub async fn download(ctx: &Context, url: &str) -> Result<Vec<u8>, JobFailure> {
    let retry = |reason: String| JobFailure::retry(reason);
    let resp =
        ctx.http.get(url).send().await.map_err(|e| retry(format!("downloading the document: {}", e.without_url())))?;
    if !resp.status().is_success() {
        return Err(retry(format!("downloading the document: HTTP {}", resp.status())));
    }
    let bytes = resp.bytes().await.map_err(|e| retry(format!("reading the document: {}", e.without_url())))?;
    if !bytes.starts_with(b"%PDF") {
        return Err(retry("the document is not a PDF".into()));
    }
    Ok(bytes.to_vec())
}
