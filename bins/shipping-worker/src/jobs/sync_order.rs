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
//!    `retry_failed_syncs` cron tries again later, capped; then the shipment needs attention)
//!    and the admin is notified;
//! 5. the result and what it promises (the AWB, the customer's mail) commit in one
//!    transaction; a cancel asked for meanwhile wins (the created order's cancel is promised).

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::progress;
use crate::queue::JobFailure;
use shipping_domain::{ShiprocketOrderDraft, SyncErrorClass};
use shipping_store::jobs::SyncOrderV1;
use shipping_store::{Committed, Refused, SyncStart, now};
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::orders::{CreateOrder, CreatedOrder, ListOrders, OrderSummary};

/// What Shiprocket has for a channel order id.
pub(crate) enum Found {
    Usable { sr_order_id: u64, sr_shipment_id: Option<u64> },
    Cancelled,
    Nothing,
}

pub(crate) async fn look_up(ctx: &Context, channel_order_id: &str) -> Result<Found, JobFailure> {
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
    let (s, outcome_unknown) = match ctx.store.begin_sync(job.shipment_id, attempt).await.job()? {
        SyncStart::Go { shipment, outcome_unknown } => (*shipment, outcome_unknown),
        SyncStart::AlreadySynced => return Ok(()),
        SyncStart::Cancelled => {
            tracing::info!(shipment_id = job.shipment_id, "cancel requested: not creating the order");
            return Ok(());
        }
    };
    let (order_row, shop_order) = progress::shop_order(&ctx.store, &s).await?;

    let (exchange, mut reship_attempt) = shipping_store::parcel_of(&s);
    let mut check_first = outcome_unknown;
    loop {
        let draft = ShiprocketOrderDraft::build(&shop_order, &ctx.settings.draft_options(exchange, reship_attempt))
            .map_err(|e| failure::permanent(format!("order {} is invalid: {e}", order_row.shop_order_id)));
        let draft = match draft {
            Ok(d) => d,
            Err(f) => return fail_sync(ctx, s.id, SyncErrorClass::InvalidOrder, f).await,
        };
        let channel = draft.order_id.as_str().to_owned();
        if reship_attempt != shipping_store::parcel_of(&s).1 {
            let reason = "the Shiprocket order under the old id is cancelled";
            ctx.store.record_reship(s.id, &channel, reship_attempt, reason).await.job()?;
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
                    JobFailure::Permanent { .. } => fail_sync(ctx, s.id, failure::sync_error_class(&e), f).await,
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

async fn adopt(
    ctx: &Context,
    shipment_id: i64,
    sr_order_id: u64,
    sr_shipment_id: Option<u64>,
) -> Result<(), JobFailure> {
    let to_i64 = |v: u64| i64::try_from(v).ok();
    let sr_order_id = to_i64(sr_order_id).ok_or_else(|| failure::permanent("Shiprocket order id out of range"))?;
    crate::failpoint!("sync_order.before_commit");
    let committed = ctx
        .store
        .record_synced(shipment_id, sr_order_id, sr_shipment_id.and_then(to_i64), ctx.settings.auto_ship)
        .await
        .job()?;
    crate::failpoint!("sync_order.after_commit");
    if committed == Committed::CancelInstead {
        tracing::info!(shipment_id, "created while a cancel was asked for: its cancel is promised");
    }
    Ok(())
}

/// Marks the sync failed with Shiprocket's message and its class and tells the admin once; the
/// failed-sync cron tries again later, until the cap, after which the shipment needs a person.
async fn fail_sync(
    ctx: &Context,
    shipment_id: i64,
    class: SyncErrorClass,
    failure: JobFailure,
) -> Result<(), JobFailure> {
    let retry_at =
        now() + chrono::Duration::from_std(ctx.settings.failed_sync_retry).unwrap_or(chrono::Duration::minutes(30));
    let refused = ctx
        .store
        .record_sync_refused(shipment_id, class, failure.reason(), retry_at, ctx.settings.max_failed_syncs)
        .await
        .job()?;
    if refused == Refused::NeedsAttention {
        tracing::warn!(shipment_id, "Shiprocket refused the order too often: it needs attention");
    }
    Err(failure)
}

/// Re-enqueues failed syncs whose retry time has come (the `retry_failed_syncs` cron).
pub async fn retry_failed(ctx: &Context, limit: u64) -> Result<usize, JobFailure> {
    let due = ctx.store.failed_syncs_due(now(), limit).await.job()?;
    let mut promised = 0;
    for s in &due {
        if ctx.store.retry_failed_sync(s.id).await.job()? {
            promised += 1;
        }
    }
    Ok(promised)
}
