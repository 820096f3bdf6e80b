//! A customer return after its Shiprocket order exists (`create_return`): `assign_return_awb`,
//! then `schedule_return_pickup`, then tracking (return AWB webhooks, which `apply_webhook`
//! hands over when the AWB is not a forward one, and `refresh_returns` polls). Each step
//! commits its state change with the next job it promises in one store operation, so a crash
//! between the two cannot strand a return; mails are queued by the store with the change.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::queue::JobFailure;
use chrono::Utc;
use shipping_domain::TrackingEvent;
use shipping_store::entities::return_request;
use shipping_store::jobs::{Job, ReturnBatchV1, ReturnStepV1};
use shipping_store::{EventSource, RecordedReturnEvent, StoreError, return_state};
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::awb::AssignAwb;
use shiprocket_client::endpoints::orders::ShowOrder;
use shiprocket_client::endpoints::pickup::GeneratePickup;
use shiprocket_client::endpoints::tracking::{MAX_AWBS_PER_TRACK_CALL, TrackAwbs};

pub(crate) async fn load(ctx: &Context, return_id: i64) -> Result<return_request::Model, JobFailure> {
    ctx.store
        .return_request(return_id)
        .await
        .job()?
        .ok_or_else(|| failure::permanent(format!("return {return_id} does not exist")))
}

/// A failure from Shiprocket; one retries will not fix marks the return `failed` first.
pub(crate) async fn fail(ctx: &Context, return_id: i64, e: &Api) -> JobFailure {
    let f = failure::from_api(e);
    if let JobFailure::Permanent { .. } = &f
        && let Err(store) = ctx.store.record_return_failed(return_id, f.reason()).await
    {
        return failure::from_store(&store);
    }
    f
}

fn positive(v: Option<i64>, what: &str) -> Result<u64, JobFailure> {
    v.and_then(|v| u64::try_from(v).ok()).ok_or_else(|| JobFailure::retry(format!("the return has no {what} yet")))
}

/// `assign_return_awb`: the return's AWB (`is_return`), then the pickup is promised.
pub async fn assign_awb(ctx: &Context, job: &ReturnStepV1) -> Result<(), JobFailure> {
    let row = load(ctx, job.return_id).await?;
    // The AWB and the pickup job were committed together: nothing left to do.
    if row.awb.is_some() || return_state(&row).job()?.is_terminal() {
        return Ok(());
    }
    let sr_shipment = positive(row.sr_shipment_id, "Shiprocket shipment")?;
    let request = AssignAwb { shipment_id: sr_shipment, courier_id: None, status: None, is_return: true };
    let (awb, courier_id, courier_name) = match ctx.shiprocket.send(&request).await {
        Ok(a) => (a.awb_code, i64::try_from(a.courier_company_id).ok(), a.courier_name),
        // Assigned by an attempt whose answer was lost: read it back.
        Err(Api::Conflict { .. }) => {
            let sr_order = positive(row.sr_order_id, "Shiprocket order")?;
            let shown = ctx.shiprocket.send(&ShowOrder { id: sr_order }).await.map_err(|e| failure::from_api(&e))?;
            match shown.shipments.iter().find_map(|sh| sh.awb.clone().map(|awb| (awb, sh.courier.clone()))) {
                Some((awb, courier)) => (awb, None, courier),
                None => return Err(JobFailure::retry("the return's AWB is reported assigned but not visible yet")),
            }
        }
        Err(e) => return Err(fail(ctx, row.id, &e).await),
    };
    ctx.store.record_return_awb(row.id, &awb, courier_id, courier_name).await.job()
}

/// `schedule_return_pickup`: asks the courier to collect the return from the customer.
pub async fn schedule_pickup(ctx: &Context, job: &ReturnStepV1) -> Result<(), JobFailure> {
    let row = load(ctx, job.return_id).await?;
    if row.pickup_scheduled_at.is_some() || return_state(&row).job()?.is_terminal() {
        return Ok(());
    }
    if row.awb.is_none() {
        return Err(JobFailure::retry(format!("return {} has no AWB yet", row.id)));
    }
    let sr_shipment = positive(row.sr_shipment_id, "Shiprocket shipment")?;
    match ctx.shiprocket.send(&GeneratePickup::new(sr_shipment)).await {
        // An earlier attempt scheduled it and its answer was lost.
        Ok(_) | Err(Api::Conflict { .. }) => {}
        Err(e) => return Err(fail(ctx, row.id, &e).await),
    }
    ctx.store.record_return_pickup_scheduled(row.id).await.job()?;
    Ok(())
}

fn log(recorded: &RecordedReturnEvent) {
    if recorded.from != recorded.to {
        tracing::info!(
            return_id = recorded.return_id,
            shipment_id = recorded.shipment_id,
            from = recorded.from.name(),
            to = recorded.to.name(),
            shipment_state = recorded.shipment_to.name(),
            "return moved"
        );
    }
}

/// A webhook whose AWB is no forward shipment's: applied to the return with that AWB, if any.
/// Returns whether a return had it.
pub async fn apply_webhook_event(ctx: &Context, event: &TrackingEvent, label: &str) -> Result<bool, JobFailure> {
    match ctx.store.record_return_event(event, label, None, None, EventSource::Webhook).await {
        Ok(recorded) => {
            log(&recorded);
            Ok(true)
        }
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(failure::from_store(&e)),
    }
}

/// `refresh_returns`: polls a batch of returns, at most 50 AWBs a call.
pub async fn refresh(ctx: &Context, job: &ReturnBatchV1) -> Result<(), JobFailure> {
    let mut by_awb = Vec::new();
    for id in &job.return_ids {
        if let Some(r) = ctx.store.return_request(*id).await.job()?
            && let Some(awb) = r.awb
        {
            by_awb.push((awb, r.id));
        }
    }
    for chunk in by_awb.chunks(MAX_AWBS_PER_TRACK_CALL) {
        let awbs: Vec<String> = chunk.iter().map(|(a, _)| a.clone()).collect();
        let answer = ctx.shiprocket.send(&TrackAwbs { awbs }).await.map_err(|e| failure::from_api(&e))?;
        for polled in super::tracking::polled(&answer) {
            for (event, a) in polled.scans {
                let label = a.status_label.clone().unwrap_or_default();
                let recorded = ctx
                    .store
                    .record_return_event(&event, &label, a.location.as_deref(), Some(&a.activity), EventSource::Poll)
                    .await
                    .job()?;
                log(&recorded);
            }
        }
        let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
        ctx.store.mark_returns_polled(&ids, Utc::now()).await.job()?;
    }
    Ok(())
}

/// Part of the 2-hourly refresh: batches of active returns without recent news.
pub async fn plan_refresh(ctx: &Context, limit: u64) -> Result<usize, JobFailure> {
    let due = ctx.store.returns_due_for_refresh(Utc::now(), ctx.settings.webhook_quiet_period, limit).await.job()?;
    let jobs: Vec<Job> = due
        .chunks(MAX_AWBS_PER_TRACK_CALL)
        .map(|chunk| Job::RefreshReturns(ReturnBatchV1 { return_ids: chunk.iter().map(|r| r.id).collect() }))
        .collect();
    ctx.store.enqueue_all(&jobs).await.job()?;
    Ok(due.len())
}
