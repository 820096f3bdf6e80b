//! `sync_order`: create the Shiprocket order for a shipment, exactly once.
//!
//! Create is not idempotent at Shiprocket (a repeat may return the existing order, possibly a
//! cancelled one, or a 422), so:
//! 1. the intent is recorded first (`sync_status = in_progress`, attempts + 1);
//! 2. a sync whose earlier outcome is unknown (any attempt after the first, or a create that
//!    timed out / lost its answer) looks the order up by its channel order id and adopts it;
//! 3. a cancelled order is never reused: the shipment moves to a new, recorded channel id
//!    (`-R1`, `-R2`, …) and that one is created;
//! 4. a validation refusal is not retried: the message is stored, the sync marked failed (the
//!    `retry_failed_syncs` cron tries again later) and the admin is notified.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use shipping_domain::{DraftOptions, ShipmentState, ShiprocketOrderDraft, ShopOrder};
use shipping_store::entities::{order, shipment};
use shipping_store::jobs::{Job, ShipmentJobV1, SyncOrderV1};
use shipping_store::now;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::orders::{CreateOrder, CreatedOrder, ListOrders, OrderSummary};

/// What Shiprocket has for a channel order id.
enum Found {
    Usable { sr_order_id: u64, sr_shipment_id: Option<u64> },
    Cancelled,
    Nothing,
}

async fn look_up(ctx: &Context, channel_order_id: &str) -> Result<Found, JobFailure> {
    let page = ctx
        .shiprocket
        .send(&ListOrders::by_channel_order_id(channel_order_id))
        .await
        .map_err(|e| failure::from_api(&e))?;
    let matching: Vec<&OrderSummary> = page.items.iter().filter(|o| o.channel_order_id == channel_order_id).collect();
    Ok(match matching.first() {
        None => Found::Nothing,
        Some(o) if o.is_cancelled() => Found::Cancelled,
        Some(o) => Found::Usable { sr_order_id: o.id, sr_shipment_id: o.shipments.first().map(|s| s.id) },
    })
}

pub async fn run(ctx: &Context, job: &SyncOrderV1, attempt: u32) -> Result<(), JobFailure> {
    let s = progress::load(&ctx.store, job.shipment_id).await?;
    if s.sync_status == "synced" {
        return Ok(());
    }
    let order_row = order::Entity::find_by_id(s.order_id)
        .one(ctx.store.db())
        .await
        .job()?
        .ok_or_else(|| failure::permanent(format!("order {} does not exist", s.order_id)))?;
    let shop_order: ShopOrder = serde_json::from_str(&order_row.payload)
        .map_err(|e| failure::permanent(format!("stored order {} does not decode: {e}", order_row.shop_order_id)))?;

    let outcome_unknown = attempt > 1 || s.sync_status == "in_progress";
    progress::update(&ctx.store, s.id, |a| {
        a.sync_status = Set("in_progress".into());
        a.sync_attempts = Set(s.sync_attempts + 1);
    })
    .await?;

    let mut reship_attempt = u32::try_from(s.reship_attempt).unwrap_or(0);
    let mut check_first = outcome_unknown;
    loop {
        let draft = ShiprocketOrderDraft::build(
            &shop_order,
            &DraftOptions {
                pickup_location: ctx.settings.pickup_location.clone(),
                reship_attempt,
                package_defaults: ctx.settings.package_defaults,
            },
        )
        .map_err(|e| failure::permanent(format!("order {} is invalid: {e}", order_row.shop_order_id)));
        let draft = match draft {
            Ok(d) => d,
            Err(f) => return fail_sync(ctx, s.id, f).await,
        };
        let channel = draft.order_id.as_str().to_owned();
        if reship_attempt != u32::try_from(s.reship_attempt).unwrap_or(0) {
            record_reship(ctx, s.id, &channel, reship_attempt).await?;
        }
        if check_first {
            match look_up(ctx, &channel).await? {
                Found::Usable { sr_order_id, sr_shipment_id } => {
                    return adopt(ctx, s.id, sr_order_id, sr_shipment_id).await;
                }
                Found::Cancelled => {
                    reship_attempt = next_reship(ctx, reship_attempt)?;
                    continue;
                }
                Found::Nothing => {}
            }
        }
        match ctx.shiprocket.send(&CreateOrder(crate::shiprocket::order_payload(&draft))).await {
            Ok(created) if created.is_cancelled() => {
                tracing::warn!(shipment_id = s.id, channel_order_id = %channel, "create returned a cancelled order; re-shipping under a new id");
                reship_attempt = next_reship(ctx, reship_attempt)?;
                check_first = true;
            }
            Ok(CreatedOrder { order_id, shipment_id, .. }) => return adopt(ctx, s.id, order_id, shipment_id).await,
            // "already taken": it exists (perhaps from an answer we lost); find out what it is.
            Err(Api::Conflict { .. }) if !check_first => check_first = true,
            Err(Api::Conflict { message }) => {
                return Err(JobFailure::retry(format!(
                    "Shiprocket says {channel} exists but it cannot be found: {message}"
                )));
            }
            Err(e) => {
                let f = failure::from_api(&e);
                return match f {
                    JobFailure::Permanent { .. } => fail_sync(ctx, s.id, f).await,
                    retry => Err(retry),
                };
            }
        }
    }
}

fn next_reship(ctx: &Context, current: u32) -> Result<u32, JobFailure> {
    let next = current + 1;
    if next > ctx.settings.max_reships {
        return Err(failure::permanent(format!("gave up after {} re-ships", ctx.settings.max_reships)));
    }
    Ok(next)
}

/// The new channel id is recorded before it is used, so a crash cannot lose which id owns the
/// shipment.
async fn record_reship(ctx: &Context, shipment_id: i64, channel: &str, attempt: u32) -> Result<(), JobFailure> {
    let old = progress::load(&ctx.store, shipment_id).await?.channel_order_id;
    if old == channel {
        return Ok(());
    }
    progress::update(&ctx.store, shipment_id, |a| {
        a.channel_order_id = Set(channel.to_owned());
        a.reship_attempt = Set(i32::try_from(attempt).unwrap_or(i32::MAX));
    })
    .await?;
    ctx.store
        .audit("shipment", shipment_id, "reship", "worker", serde_json::json!({"from": old, "to": channel, "reason": "the Shiprocket order under the old id is cancelled"}))
        .await
        .job()
}

async fn adopt(
    ctx: &Context,
    shipment_id: i64,
    sr_order_id: u64,
    sr_shipment_id: Option<u64>,
) -> Result<(), JobFailure> {
    let to_i64 = |v: u64| i64::try_from(v).ok();
    progress::update(&ctx.store, shipment_id, |a| {
        a.sync_status = Set("synced".into());
        a.sync_error = Set(None);
        a.next_sync_at = Set(None);
        a.sr_order_id = Set(to_i64(sr_order_id));
        a.sr_shipment_id = Set(sr_shipment_id.and_then(to_i64));
    })
    .await?;
    progress::advance(&ctx.store, shipment_id, ShipmentState::Synced).await?;
    notify(ctx, shipment_id, "order_confirmed", "customer").await?;
    if ctx.settings.auto_ship {
        ctx.store
            .enqueue(ctx.store.db(), &Job::AssignAwb(ShipmentJobV1 { shipment_id, courier_id: None }))
            .await
            .job()?;
    }
    Ok(())
}

/// Marks the sync failed with Shiprocket's message, schedules the retry cron's next look, and
/// tells the admin once.
async fn fail_sync(ctx: &Context, shipment_id: i64, failure: JobFailure) -> Result<(), JobFailure> {
    let retry_at =
        now() + chrono::Duration::from_std(ctx.settings.failed_sync_retry).unwrap_or(chrono::Duration::minutes(30));
    let reason = failure.reason().to_owned();
    progress::update(&ctx.store, shipment_id, |a| {
        a.sync_status = Set("failed".into());
        a.sync_error = Set(Some(reason.clone()));
        a.next_sync_at = Set(Some(retry_at));
    })
    .await?;
    progress::advance(&ctx.store, shipment_id, ShipmentState::SyncFailed).await?;
    if let shipping_store::Once::New(id) =
        ctx.store.queue_notification(shipment_id, "admin_sync_failed", "admin").await.job()?
    {
        ctx.store
            .enqueue(
                ctx.store.db(),
                &Job::SendNotification(shipping_store::jobs::SendNotificationV1 { notification_id: id }),
            )
            .await
            .job()?;
    }
    Err(failure)
}

/// Queues a notification (once per shipment and kind) and the job that sends it.
async fn notify(ctx: &Context, shipment_id: i64, kind: &str, recipient: &str) -> Result<(), JobFailure> {
    if let shipping_store::Once::New(id) = ctx.store.queue_notification(shipment_id, kind, recipient).await.job()? {
        ctx.store
            .enqueue(
                ctx.store.db(),
                &Job::SendNotification(shipping_store::jobs::SendNotificationV1 { notification_id: id }),
            )
            .await
            .job()?;
    }
    Ok(())
}

/// Re-enqueues failed syncs whose retry time has come (the `retry_failed_syncs` cron).
pub async fn retry_failed(ctx: &Context, limit: u64) -> Result<usize, JobFailure> {
    let due = ctx.store.failed_syncs_due(now(), limit).await.job()?;
    for s in &due {
        progress::update(&ctx.store, s.id, |a: &mut shipment::ActiveModel| {
            a.sync_status = Set("pending".into());
            a.next_sync_at = Set(None);
        })
        .await?;
        ctx.store
            .enqueue(ctx.store.db(), &Job::SyncOrder(SyncOrderV1 { order_id: s.order_id, shipment_id: s.id }))
            .await
            .job()?;
    }
    Ok(due.len())
}
