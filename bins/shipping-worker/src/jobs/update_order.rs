//! `update_order`: send a corrected order to Shiprocket (an edit after the sync, before an AWB).
//!
//! Shiprocket splits the change in two: `orders/update/adhoc` (same body as create) changes only
//! the items and reports every other field as not updated, and `orders/address/update` replaces
//! the delivery address. Both set values rather than add to them, and the job always sends the
//! order as stored when it runs, so running it twice, or once for two edits, sends the same
//! latest version: it is idempotent. Once an AWB exists Shiprocket refuses; that is permanent
//! and recorded on the shipment for the operator.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use shipping_domain::ShiprocketOrderDraft;
use shipping_store::jobs::UpdateOrderV1;
use shiprocket_client::endpoints::orders::UpdateOrder;

pub async fn run(ctx: &Context, job: &UpdateOrderV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.awb.is_some() {
        return refused(ctx, s.id, "an AWB was assigned before the correction reached Shiprocket").await;
    }
    let Some(sr_order_id) = s.sr_order_id.and_then(|id| u64::try_from(id).ok()) else {
        return Err(failure::permanent(format!("shipment {} has no Shiprocket order to update", s.id)));
    };
    let (order_row, shop_order) = progress::shop_order(&ctx.store, &s).await?;
    let (exchange, reship_attempt) = shipping_store::parcel_of(&s);
    let draft = ShiprocketOrderDraft::build(&shop_order, &ctx.settings.draft_options(exchange, reship_attempt))
        .map_err(|e| failure::permanent(format!("order {} is invalid: {e}", order_row.shop_order_id)))?;
    // The draft's channel id is the shipment's (re-ships included): it names the order there.
    let updated = match ctx.shiprocket.send(&UpdateOrder(crate::shiprocket::order_payload(&draft))).await {
        Ok(u) => u,
        Err(e) => return api_failure(ctx, s.id, &e).await,
    };
    if let Err(e) = ctx.shiprocket.send(&crate::shiprocket::delivery_address(&draft, sr_order_id)).await {
        return api_failure(ctx, s.id, &e).await;
    }
    tracing::info!(shipment_id = s.id, sr_order_id, not_updated = %updated.not_updated_fields.join(","), "order updated at Shiprocket");
    ctx.store
        .audit(
            "shipment",
            s.id,
            "shiprocket_order_updated",
            "worker",
            serde_json::json!({"not_updated_fields": updated.not_updated_fields}),
        )
        .await
        .job()
}

/// A refusal is permanent (Shiprocket will not change its mind): it is recorded on the
/// shipment's audit trail, where the operator sees it, and the job ends as a dead letter.
async fn api_failure(ctx: &Context, shipment_id: i64, e: &shiprocket_client::Error) -> Result<(), JobFailure> {
    match failure::from_api(e) {
        JobFailure::Permanent { reason } => refused(ctx, shipment_id, &reason).await,
        retry => Err(retry),
    }
}

async fn refused(ctx: &Context, shipment_id: i64, reason: &str) -> Result<(), JobFailure> {
    ctx.store
        .audit("shipment", shipment_id, "shiprocket_update_refused", "worker", serde_json::json!({"reason": reason}))
        .await
        .job()?;
    Err(failure::permanent(format!("Shiprocket did not take the correction: {reason}")))
}
