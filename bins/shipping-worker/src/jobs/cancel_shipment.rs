//! `cancel_shipment`: cancel at Shiprocket (by AWB once assigned, else the order), then record
//! it. Cancellation wins every race (ADR 0008): a shipment whose sync was attempted but whose
//! Shiprocket order is unknown (an answer lost, or a create still in flight when the cancel
//! came) is looked up by its channel order id and cancelled there too. The job may run again
//! (a create that lands after it promises it once more); every call it makes is idempotent.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::jobs::sync_order::{Found, look_up};
use crate::progress;
use crate::queue::JobFailure;
use shipping_store::jobs::ShipmentJobV1;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::orders::CancelOrders;
use shiprocket_client::endpoints::shipments::CancelShipments;

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    let known = s.sr_order_id.and_then(|v| u64::try_from(v).ok());
    let mut found = None;
    let result = match (&s.awb, known) {
        (Some(awb), _) => ctx.shiprocket.send(&CancelShipments { awbs: vec![awb.clone()] }).await.map(|_| ()),
        (None, Some(sr)) => ctx.shiprocket.send(&CancelOrders { ids: vec![sr] }).await.map(|_| ()),
        // Never created, as far as we know; an attempt may have created it all the same.
        (None, None) if s.sync_attempts > 0 => match look_up(ctx, &s.channel_order_id).await? {
            Found::Usable { sr_order_id, sr_shipment_id } => {
                found = Some((
                    i64::try_from(sr_order_id).map_err(|_| failure::permanent("Shiprocket order id out of range"))?,
                    sr_shipment_id.and_then(|v| i64::try_from(v).ok()),
                ));
                ctx.shiprocket.send(&CancelOrders { ids: vec![sr_order_id] }).await.map(|_| ())
            }
            Found::Cancelled | Found::Nothing => Ok(()),
        },
        (None, None) => Ok(()), // never reached Shiprocket
    };
    match result {
        Ok(()) | Err(Api::NotFound { .. }) => {}
        Err(e) => return Err(failure::from_api(&e)),
    }
    crate::failpoint!("cancel_shipment.before_commit");
    ctx.store.record_cancelled(s.id, found).await.job()?;
    crate::failpoint!("cancel_shipment.after_commit");
    Ok(())
}
