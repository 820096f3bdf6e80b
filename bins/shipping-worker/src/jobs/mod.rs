//! Every job, one file each, registered in one place: [`dispatch`].

pub mod assign_awb;
pub mod cancel_shipment;
pub mod create_return;
pub mod cron;
pub mod generate_label;
pub mod generate_manifest;
pub mod ndr_action;
pub mod reconcile;
pub mod returns;
pub mod schedule_pickup;
pub mod send_notification;
pub mod sync_order;
pub mod tracking;
pub mod update_order;

use crate::context::Context;
use crate::queue::JobFailure;
use shipping_store::jobs::Job;

/// Runs one job. Every handler is idempotent: jobs are delivered at least once.
pub async fn dispatch(ctx: &Context, job: &Job, attempt: u32) -> Result<(), JobFailure> {
    // Instrumented, not entered: a guard held across `.await` would leak the span into
    // whatever else the thread polls meanwhile (wrong ids in logs, wrong trace parents).
    let span = tracing::info_span!("job", kind = job.kind(), attempt);
    tracing::Instrument::instrument(dispatch_in_span(ctx, job, attempt), span).await
}

async fn dispatch_in_span(ctx: &Context, job: &Job, attempt: u32) -> Result<(), JobFailure> {
    match job {
        Job::SyncOrder(j) => sync_order::run(ctx, j, attempt).await,
        Job::UpdateOrder(j) => update_order::run(ctx, j).await,
        Job::AssignAwb(j) => assign_awb::run(ctx, j).await,
        Job::GenerateLabel(j) => generate_label::run(ctx, j).await,
        Job::SchedulePickup(j) => schedule_pickup::run(ctx, j).await,
        Job::CancelShipment(j) => cancel_shipment::run(ctx, j).await,
        Job::ApplyWebhook(j) => tracking::apply_webhook(ctx, j).await,
        Job::RefreshTracking(j) => tracking::refresh(ctx, j).await,
        Job::SendNotification(j) => send_notification::run(ctx, j).await,
        Job::GenerateManifest(j) => generate_manifest::run(ctx, j).await,
        Job::NdrAction(j) => ndr_action::run(ctx, j).await,
        Job::CreateReturn(j) => create_return::run(ctx, j).await,
        Job::AssignReturnAwb(j) => returns::assign_awb(ctx, j).await,
        Job::ScheduleReturnPickup(j) => returns::schedule_pickup(ctx, j).await,
        Job::RefreshReturns(j) => returns::refresh(ctx, j).await,
        Job::Cron(c) => cron::run(ctx, c.task).await,
    }
}
