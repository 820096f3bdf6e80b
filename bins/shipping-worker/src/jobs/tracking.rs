//! Tracking: `apply_webhook` (one stored webhook) and `refresh_tracking` (a batch polled through
//! the multi-AWB endpoint). Both go through the store's dedupe and forward-only merge, which
//! promises the customer's mails for a new state in the same transaction.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::queue::JobFailure;
use chrono::{DateTime, FixedOffset, Utc};
use shipping_domain::{Awb, RawStatus, TrackingEvent, pick_status};
use shipping_store::EventSource;
use shipping_store::jobs::{ApplyWebhookV1, Job, ShipmentBatchV1};
use shiprocket_client::endpoints::tracking::{
    MAX_AWBS_PER_TRACK_CALL, MultiTracking, TrackAwbs, Tracking, TrackingActivity,
};
use shiprocket_client::webhook::TrackingWebhook;

pub(crate) fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

pub async fn apply_webhook(ctx: &Context, job: &ApplyWebhookV1) -> Result<(), JobFailure> {
    let Some(row) = ctx.store.webhook(job.inbox_id).await.job()? else {
        return Err(failure::permanent(format!("webhook {} is not in the inbox", job.inbox_id)));
    };
    if row.processed_at.is_some() {
        return Ok(());
    }
    let hook = match TrackingWebhook::parse(row.payload.as_bytes()) {
        Ok(h) => h,
        Err(e) => {
            ctx.store.mark_webhook_processed(row.id, Some(&e.to_string())).await.job()?;
            return Err(failure::permanent(format!("webhook {}: {e}", row.id)));
        }
    };
    let status = pick_status(
        hook.shipment_status_id,
        hook.current_status_id,
        hook.shipment_status.as_deref().or(hook.current_status.as_deref()),
    );
    let (Some(status), Some(at), Ok(awb)) = (status, hook.current_timestamp, Awb::parse(&hook.awb)) else {
        ctx.store.mark_webhook_processed(row.id, Some("no status, time or AWB")).await.job()?;
        return Ok(());
    };
    let event = TrackingEvent::new(Some(awb), status, utc(at));
    let label = hook.current_status.clone().unwrap_or_default();
    // Where and what: the scan of the current status (same time), else the newest scan.
    let scan = hook.scans.iter().find(|a| a.at == at).or_else(|| hook.scans.iter().max_by_key(|a| a.at));
    let (location, activity) = (scan.and_then(|a| a.location.as_deref()), scan.map(|a| a.activity.as_str()));
    crate::failpoint!("apply_webhook.before_commit");
    let recorded = match ctx.store.record_tracking_event(&event, &label, location, activity, EventSource::Webhook).await
    {
        Ok(r) => r,
        // A webhook for a shipment we do not know (another channel's, or before our AWB is
        // recorded): keep it processed with the reason; the poll reconciles ours.
        Err(shipping_store::StoreError::NotFound(reason)) => {
            // Not a forward AWB: a customer return's, perhaps.
            let applied = super::returns::apply_webhook_event(ctx, &event, &label).await?;
            ctx.store.mark_webhook_processed(row.id, (!applied).then_some(reason.as_str())).await.job()?;
            return Ok(());
        }
        Err(e) => return Err(failure::from_store(&e)),
    };
    crate::failpoint!("apply_webhook.after_commit");
    tracing::debug!(shipment_id = recorded.shipment_id, outcome = ?recorded.outcome, "webhook applied");
    if let Some(etd) = hook.etd {
        ctx.store.record_delivery_estimate(&hook.awb, utc(etd)).await.job()?;
    }
    ctx.store.mark_webhook_processed(row.id, None).await.job()?;
    Ok(())
}

fn activity_event(awb: &Awb, a: &TrackingActivity) -> Option<TrackingEvent> {
    let status = a
        .status_code
        .map(RawStatus::Shipment)
        .or_else(|| a.status_label.as_ref().map(|l| RawStatus::Label(l.clone())))?;
    Some(TrackingEvent::new(Some(awb.clone()), status, utc(a.at)))
}

/// One AWB of a poll's answer: its scans as events, oldest first (so the mails follow the
/// parcel's order), each with the scan it came from.
pub(crate) struct Polled<'a> {
    pub awb: Awb,
    pub tracking: &'a Tracking,
    pub scans: Vec<(TrackingEvent, &'a TrackingActivity)>,
}

/// A poll's answer, AWB by AWB (an AWB that does not parse is skipped).
pub(crate) fn polled(answer: &MultiTracking) -> Vec<Polled<'_>> {
    answer
        .found
        .iter()
        .filter_map(|(text, tracking)| {
            let awb = Awb::parse(text).ok()?;
            let scans = tracking.activities.iter().rev().filter_map(|a| Some((activity_event(&awb, a)?, a))).collect();
            Some(Polled { awb, tracking, scans })
        })
        .collect()
}

pub async fn refresh(ctx: &Context, job: &ShipmentBatchV1) -> Result<(), JobFailure> {
    let mut by_awb = Vec::new();
    for id in &job.shipment_ids {
        if let Some(s) = ctx.store.shipment(*id).await.job()?
            && let Some(awb) = s.awb
        {
            by_awb.push((awb, s.id));
        }
    }
    for chunk in by_awb.chunks(MAX_AWBS_PER_TRACK_CALL) {
        let awbs: Vec<String> = chunk.iter().map(|(a, _)| a.clone()).collect();
        let answer = ctx.shiprocket.send(&TrackAwbs { awbs }).await.map_err(|e| failure::from_api(&e))?;
        for Polled { awb, tracking, scans } in polled(&answer) {
            for (event, a) in scans {
                let label = a.status_label.clone().unwrap_or_default();
                crate::failpoint!("refresh_tracking.before_commit");
                ctx.store
                    .record_tracking_event(&event, &label, a.location.as_deref(), Some(&a.activity), EventSource::Poll)
                    .await
                    .job()?;
                crate::failpoint!("refresh_tracking.after_commit");
            }
            if let Some(etd) = tracking.etd {
                ctx.store.record_delivery_estimate(awb.as_str(), utc(etd)).await.job()?;
            }
        }
        let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
        ctx.store.mark_polled(&ids, Utc::now()).await.job()?;
    }
    Ok(())
}

/// The 2-hourly cron: enqueue refresh batches for the shipments that need it (an AWB, not
/// terminal, no recent webhook or poll).
pub async fn plan_refresh(ctx: &Context, limit: u64) -> Result<usize, JobFailure> {
    let due = ctx.store.shipments_due_for_refresh(Utc::now(), ctx.settings.webhook_quiet_period, limit).await.job()?;
    let jobs: Vec<Job> = due
        .chunks(MAX_AWBS_PER_TRACK_CALL)
        .map(|chunk| Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: chunk.iter().map(|s| s.id).collect() }))
        .collect();
    ctx.store.enqueue_all(&jobs).await.job()?;
    Ok(due.len())
}
