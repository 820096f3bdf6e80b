//! `assign_awb`: book a courier. The courier comes from the job (a person chose it), else the
//! one the customer picked at checkout while it still serves the lane, else the domain's choice
//! over the serviceable couriers; when Shiprocket refuses one, the next one in preference order
//! is tried and the reason recorded. Shiprocket may book another courier than the one asked
//! for: what it booked is what is recorded. A lane nobody serves, a wallet too low or every
//! courier refusing is not retried: the shipment needs a person, with the reason.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use shipping_domain::{AttentionReason, PaymentMethod, choose_courier};
use shipping_store::entities::shipment;
use shipping_store::jobs::ShipmentJobV1;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::awb::AssignAwb;
use shiprocket_client::endpoints::orders::ShowOrder;
use shiprocket_client::endpoints::serviceability::CheckServiceability;

/// Couriers to try, best first, and why the first is not the one the customer picked.
struct Plan {
    couriers: Vec<u64>,
    note: Option<String>,
}

/// Why there is no plan: the lane is not served (a person must act), or a retryable failure.
enum NoPlan {
    NotServiceable(String),
    Failed(JobFailure),
}

async fn plan(ctx: &Context, s: &shipment::Model, sr_order_id: u64, chosen: Option<i64>) -> Result<Plan, NoPlan> {
    if let Some(id) = chosen.and_then(|c| u64::try_from(c).ok()) {
        return Ok(Plan { couriers: vec![id], note: None });
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
    let options = match ctx.shiprocket.send(&rates).await {
        Ok(o) => o,
        Err(Api::NotServiceable { message }) => return Err(NoPlan::NotServiceable(message)),
        Err(e) => return Err(NoPlan::Failed(failure::from_api(&e))),
    };
    let quotes: Vec<_> = options.couriers.iter().map(crate::shiprocket::quote).collect();
    let payment = payment_of(ctx, s).await.map_err(NoPlan::Failed)?;
    let choice = choose_courier(&quotes, &ctx.settings.courier_preference, payment)
        .map_err(|e| NoPlan::NotServiceable(format!("no courier for shipment {}: {e}", s.id)))?;
    tracing::info!(shipment_id = s.id, courier = choice.courier.courier_id, reason = %choice.reason, "courier chosen");
    let mut ranked: Vec<u64> = choice.ranked().map(|q| q.courier_id).collect();
    let mut note = None;
    if let Some(picked) = s.requested_courier_id.and_then(|c| u64::try_from(c).ok()) {
        if let Some(pos) = ranked.iter().position(|c| *c == picked) {
            let id = ranked.remove(pos);
            ranked.insert(0, id);
        } else {
            note = Some(format!(
                "the courier picked at checkout ({picked}) no longer serves this shipment; booked by preference: {}",
                choice.reason
            ));
        }
    }
    ranked.truncate(ctx.settings.max_courier_attempts);
    Ok(Plan { couriers: ranked, note })
}

async fn payment_of(ctx: &Context, s: &shipment::Model) -> Result<PaymentMethod, JobFailure> {
    let o = ctx.store.order(s.order_id).await.job()?;
    Ok(match o.map(|o| o.payment_method) {
        Some(m) if m.eq_ignore_ascii_case("cod") => PaymentMethod::Cod,
        _ => PaymentMethod::Prepaid,
    })
}

pub async fn run(ctx: &Context, job: &ShipmentJobV1) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.awb.is_some() || s.cancel_requested_at.is_some() {
        return Ok(());
    }
    let (Some(sr_order_id), Some(sr_shipment_id)) = (s.sr_order_id, s.sr_shipment_id) else {
        return Err(JobFailure::retry(format!("shipment {} is not synced yet", s.id)));
    };
    let sr_order_id = u64::try_from(sr_order_id).map_err(|_| failure::permanent("negative Shiprocket order id"))?;
    let sr_shipment_id =
        u64::try_from(sr_shipment_id).map_err(|_| failure::permanent("negative Shiprocket shipment id"))?;
    let plan = match plan(ctx, &s, sr_order_id, job.courier_id).await {
        Ok(p) => p,
        Err(NoPlan::NotServiceable(message)) => {
            return needs_person(ctx, s.id, AttentionReason::NotServiceable, &message).await;
        }
        Err(NoPlan::Failed(f)) => return Err(f),
    };
    let mut refusals = Vec::new();
    let mut wallet_low = false;
    for courier in plan.couriers {
        let request =
            AssignAwb { shipment_id: sr_shipment_id, courier_id: Some(courier), status: None, is_return: false };
        match ctx.shiprocket.send(&request).await {
            Ok(a) => {
                let note = if a.courier_company_id != courier {
                    Some(format!("asked for courier {courier}; Shiprocket booked {}", a.courier_company_id))
                } else {
                    plan.note.clone()
                };
                return record(ctx, s.id, &a.awb_code, a.courier_company_id, a.courier_name.as_deref(), note).await;
            }
            // Assigned by an earlier attempt whose answer we lost: read it back.
            Err(Api::Conflict { .. }) => {
                let shown =
                    ctx.shiprocket.send(&ShowOrder { id: sr_order_id }).await.map_err(|e| failure::from_api(&e))?;
                if let Some(sh) = shown.shipments.iter().find(|sh| sh.awb.is_some()) {
                    let awb = sh.awb.clone().unwrap_or_default();
                    return record(ctx, s.id, &awb, courier, sh.courier.as_deref(), plan.note.clone()).await;
                }
                return Err(JobFailure::retry("AWB reported assigned but not visible yet"));
            }
            Err(e @ (Api::NotServiceable { .. } | Api::Validation { .. })) => {
                wallet_low |= e.is_wallet_low();
                refusals.push(format!("courier {courier}: {e}"));
            }
            Err(e) => return Err(failure::from_api(&e)),
        }
    }
    let reason = if wallet_low { AttentionReason::WalletTooLow } else { AttentionReason::CouriersRefused };
    needs_person(ctx, s.id, reason, &format!("no courier accepted the shipment: {}", refusals.join("; "))).await
}

/// Not retried: the shipment waits for a person, visibly.
async fn needs_person(
    ctx: &Context,
    shipment_id: i64,
    reason: AttentionReason,
    message: &str,
) -> Result<(), JobFailure> {
    tracing::warn!(shipment_id, reason = reason.code(), "the shipment needs attention");
    ctx.store.flag_needs_attention(shipment_id, reason, message).await.job()
}

async fn record(
    ctx: &Context,
    shipment_id: i64,
    awb: &str,
    courier_id: u64,
    courier_name: Option<&str>,
    note: Option<String>,
) -> Result<(), JobFailure> {
    crate::failpoint!("assign_awb.before_commit");
    ctx.store
        .record_awb(
            shipment_id,
            awb,
            i64::try_from(courier_id).ok(),
            courier_name,
            note.as_deref(),
            ctx.settings.auto_ship,
        )
        .await
        .job()?;
    crate::failpoint!("assign_awb.after_commit");
    Ok(())
}
