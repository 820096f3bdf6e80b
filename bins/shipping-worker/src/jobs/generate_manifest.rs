//! `generate_manifest`: the pickup manifest for shipments with AWB and pickup, kept as a PDF on
//! each shipment. A repeat answers "already manifested": the manifest is then re-printed by
//! order ids instead.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::queue::JobFailure;
use shipping_store::jobs::ShipmentBatchV1;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::documents::{GenerateManifest, PrintManifest};

pub async fn run(ctx: &Context, job: &ShipmentBatchV1) -> Result<(), JobFailure> {
    let mut shipments = Vec::new();
    for id in &job.shipment_ids {
        let s = crate::progress::load(&ctx.store, *id).await?;
        if ctx.store.latest_document(s.id, "manifest").await.job()?.is_some() {
            continue;
        }
        match (s.sr_shipment_id.and_then(|v| u64::try_from(v).ok()), s.sr_order_id.and_then(|v| u64::try_from(v).ok()))
        {
            (Some(sh), Some(or)) if s.awb.is_some() => shipments.push((s.id, sh, or)),
            _ => return Err(failure::permanent(format!("shipment {} has no AWB: no manifest", s.id))),
        }
    }
    if shipments.is_empty() {
        return Ok(());
    }
    let ids: Vec<u64> = shipments.iter().map(|(_, sh, _)| *sh).collect();
    let url = match ctx.shiprocket.send(&GenerateManifest { shipment_id: ids }).await {
        Ok(doc) => doc.url,
        Err(Api::Conflict { .. }) => {
            let order_ids = shipments.iter().map(|(_, _, or)| *or).collect();
            ctx.shiprocket.send(&PrintManifest { order_ids }).await.map_err(|e| failure::from_api(&e))?.url
        }
        Err(e) => return Err(failure::from_api(&e)),
    };
    let pdf = crate::jobs::generate_label::download(ctx, &url).await?;
    for (id, _, _) in shipments {
        ctx.store.save_document(id, "manifest", Some(&url), pdf.clone()).await.job()?;
    }
    Ok(())
}
