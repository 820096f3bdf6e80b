//! `cancel_shipment`: cancel at Shiprocket (by AWB once assigned, else the order), then record
//! it. Shiprocket cancels asynchronously; the tracking poll confirms.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use sea_orm::ActiveValue::Set;
use shipping_store::jobs::ShipmentJobV1;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::orders::CancelOrders;
use shiprocket_client::endpoints::shipments::CancelShipments;

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.state == "cancelled" {
        return Ok(());
    }
    let result = match (&s.awb, s.sr_order_id.and_then(|v| u64::try_from(v).ok())) {
        (Some(awb), _) => ctx.shiprocket.send(&CancelShipments { awbs: vec![awb.clone()] }).await.map(|_| ()),
        (None, Some(sr)) => ctx.shiprocket.send(&CancelOrders { ids: vec![sr] }).await.map(|_| ()),
        (None, None) => Ok(()), // never reached Shiprocket
    };
    match result {
        Ok(()) | Err(Api::NotFound { .. }) => {}
        Err(e) => return Err(failure::from_api(&e)),
    }
    progress::update(&ctx.store, s.id, |a| a.state = Set("cancelled".into())).await?;
    ctx.store.audit("shipment", s.id, "cancelled", "worker", serde_json::json!({})).await.job()
}
