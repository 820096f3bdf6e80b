//! `schedule_pickup`: ask the courier to collect the parcel (needs the AWB).

use crate::context::Context;
use crate::failure;
use crate::progress;
use crate::queue::JobFailure;
use shipping_domain::ShipmentState;
use shipping_store::jobs::ShipmentJobV1;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::pickup::GeneratePickup;

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    let Some(sr_shipment_id) = s.sr_shipment_id.and_then(|v| u64::try_from(v).ok()).filter(|_| s.awb.is_some()) else {
        return Err(JobFailure::retry(format!("shipment {} has no AWB yet", s.id)));
    };
    let state = ShipmentState::from_name(&s.state, 0);
    if state
        .is_some_and(|st| !matches!(st, ShipmentState::Synced | ShipmentState::AwbAssigned | ShipmentState::LabelReady))
    {
        return Ok(()); // already scheduled, or beyond
    }
    match ctx.shiprocket.send(&GeneratePickup::new(sr_shipment_id)).await {
        // An earlier attempt scheduled it and its answer was lost.
        Ok(_) | Err(Api::Conflict { .. }) => {}
        Err(e) => return Err(failure::from_api(&e)),
    }
    progress::advance(&ctx.store, s.id, ShipmentState::PickupScheduled).await?;
    Ok(())
}
