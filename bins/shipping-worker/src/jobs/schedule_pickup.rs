//! `schedule_pickup`: ask the courier to collect the parcel (needs the AWB).

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use shipping_domain::ShipmentState;
use shipping_store::jobs::ShipmentJobV1;
use shipping_store::steps::state_of;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::pickup::GeneratePickup;

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.cancel_requested_at.is_some() {
        return Ok(());
    }
    let Some(sr_shipment_id) = s.sr_shipment_id.and_then(|v| u64::try_from(v).ok()).filter(|_| s.awb.is_some()) else {
        return Err(JobFailure::retry(format!("shipment {} has no AWB yet", s.id)));
    };
    if !matches!(state_of(&s).job()?, ShipmentState::Synced | ShipmentState::AwbAssigned | ShipmentState::LabelReady) {
        return Ok(()); // already scheduled, or beyond
    }
    match ctx.shiprocket.send(&GeneratePickup::new(sr_shipment_id)).await {
        // An earlier attempt scheduled it and its answer was lost.
        Ok(_) | Err(Api::Conflict { .. }) => {}
        Err(e) => return Err(failure::from_api(&e)),
    }
    crate::failpoint!("schedule_pickup.before_commit");
    ctx.store.record_pickup_scheduled(s.id).await.job()?;
    crate::failpoint!("schedule_pickup.after_commit");
    Ok(())
}
