//! `assign_awb`: book a courier. The courier comes from the job (a person chose it) or from the
//! domain's choice over the serviceable couriers; when Shiprocket refuses one, the next one in
//! preference order is tried and the reason recorded. Shiprocket may book another courier than
//! the one asked for: what it booked is what is recorded.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use sea_orm::ActiveValue::Set;
use shipping_domain::{PaymentMethod, ShipmentState, choose_courier};
use shipping_store::entities::shipment;
use shipping_store::jobs::{Job, ShipmentJobV1};
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::awb::AssignAwb;
use shiprocket_client::endpoints::orders::ShowOrder;
use shiprocket_client::endpoints::serviceability::CheckServiceability;

/// Couriers to try, best first.
async fn candidates(
    ctx: &Context,
    s: &shipment::Model,
    sr_order_id: u64,
    requested: Option<i64>,
) -> Result<Vec<u64>, JobFailure> {
    if let Some(id) = requested.and_then(|c| u64::try_from(c).ok()) {
        return Ok(vec![id]);
    }
    let rates = CheckServiceability {
        pickup_postcode: String::new(),
        delivery_postcode: String::new(),
        weight: None,
        cod: None,
        declared_value: None,
        order_id: Some(sr_order_id),
        length: None,
        breadth: None,
        height: None,
        mode: None,
        is_return: None,
    };
    let options = ctx.shiprocket.send(&rates).await.map_err(|e| failure::from_api(&e))?;
    let quotes: Vec<_> = options.couriers.iter().filter_map(crate::shiprocket::quote).collect();
    let payment = payment_of(ctx, s).await?;
    let choice = choose_courier(&quotes, &ctx.settings.courier_preference, payment)
        .map_err(|e| failure::permanent(format!("no courier for shipment {}: {e}", s.id)))?;
    tracing::info!(shipment_id = s.id, courier = choice.courier.courier_id, reason = %choice.reason, "courier chosen");
    Ok(std::iter::once(choice.courier.courier_id)
        .chain(choice.alternatives.iter().map(|q| q.courier_id))
        .take(ctx.settings.max_courier_attempts)
        .collect())
}

async fn payment_of(ctx: &Context, s: &shipment::Model) -> Result<PaymentMethod, JobFailure> {
    use sea_orm::EntityTrait;
    let o = shipping_store::entities::order::Entity::find_by_id(s.order_id).one(ctx.store.db()).await.job()?;
    Ok(match o.map(|o| o.payment_method) {
        Some(m) if m.eq_ignore_ascii_case("cod") => PaymentMethod::Cod,
        _ => PaymentMethod::Prepaid,
    })
}

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.awb.is_some() {
        return Ok(());
    }
    let (Some(sr_order_id), Some(sr_shipment_id)) = (s.sr_order_id, s.sr_shipment_id) else {
        return Err(JobFailure::retry(format!("shipment {} is not synced yet", s.id)));
    };
    let sr_order_id = u64::try_from(sr_order_id).map_err(|_| failure::permanent("negative Shiprocket order id"))?;
    let sr_shipment_id =
        u64::try_from(sr_shipment_id).map_err(|_| failure::permanent("negative Shiprocket shipment id"))?;
    let mut refusals = Vec::new();
    for courier in candidates(ctx, &s, sr_order_id, job.courier_id).await? {
        let request =
            AssignAwb { shipment_id: sr_shipment_id, courier_id: Some(courier), status: None, is_return: false };
        match ctx.shiprocket.send(&request).await {
            Ok(a) => {
                if a.courier_company_id != courier {
                    ctx.store
                        .audit(
                            "shipment",
                            s.id,
                            "courier_changed_by_shiprocket",
                            "worker",
                            serde_json::json!({"asked": courier, "booked": a.courier_company_id}),
                        )
                        .await
                        .job()?;
                }
                return record(ctx, s.id, a.awb_code, a.courier_company_id, a.courier_name).await;
            }
            // Assigned by an earlier attempt whose answer we lost: read it back.
            Err(Api::Conflict { .. }) => {
                let shown =
                    ctx.shiprocket.send(&ShowOrder { id: sr_order_id }).await.map_err(|e| failure::from_api(&e))?;
                if let Some(sh) = shown.shipments.iter().find(|sh| sh.awb.is_some()) {
                    return record(ctx, s.id, sh.awb.clone().unwrap_or_default(), courier, sh.courier.clone()).await;
                }
                return Err(JobFailure::retry("AWB reported assigned but not visible yet"));
            }
            Err(e @ (Api::NotServiceable { .. } | Api::Validation { .. })) => {
                refusals.push(format!("courier {courier}: {e}"))
            }
            Err(e) => return Err(failure::from_api(&e)),
        }
    }
    ctx.store
        .audit("shipment", s.id, "awb_refused", "worker", serde_json::json!({"refusals": refusals}))
        .await
        .job()?;
    Err(failure::permanent(format!("no courier accepted shipment {}: {}", s.id, refusals.join("; "))))
}

async fn record(
    ctx: &Context,
    shipment_id: i64,
    awb: String,
    courier_id: u64,
    courier_name: Option<String>,
) -> Result<(), JobFailure> {
    progress::update(&ctx.store, shipment_id, |a| {
        a.awb = Set(Some(awb));
        a.courier_id = Set(i64::try_from(courier_id).ok());
        a.courier_name = Set(courier_name);
    })
    .await?;
    progress::advance(&ctx.store, shipment_id, ShipmentState::AwbAssigned).await?;
    if ctx.settings.auto_ship {
        let next = ShipmentJobV1 { shipment_id, courier_id: None };
        ctx.store.enqueue(ctx.store.db(), &Job::GenerateLabel(next.clone())).await.job()?;
        ctx.store.enqueue(ctx.store.db(), &Job::SchedulePickup(next)).await.job()?;
    }
    Ok(())
}
