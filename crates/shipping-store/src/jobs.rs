//! The jobs the API and the workers exchange, as versioned payloads. They travel through the
//! outbox (written in the same transaction as the change that needs them) and then the queue.
//! A payload type is never edited in place: a change is a new `…V2` beside the old one, so jobs
//! already queued by an older release still decode.

use crate::entities::outbox;
use crate::{Result, Store, StoreError, now};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Which queue a job goes to; each has its own concurrency in the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Sync and webhooks: what the shop and the customer wait for.
    High,
    /// Tracking, labels, pickups.
    Medium,
    /// Refreshes and cleanup.
    Low,
}

/// Create the Shiprocket order for a shipment (exactly once; see the worker's `sync_order`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOrderV1 {
    pub order_id: i64,
    pub shipment_id: i64,
}

/// Send a shipment's corrected order to Shiprocket (an edit after sync, before an AWB). The job
/// sends whatever the stored order is when it runs, so a repeat, or a second edit's job,
/// sends the same latest version: it is idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOrderV1 {
    pub order_id: i64,
    pub shipment_id: i64,
}

/// A job about one shipment (assign AWB, label, pickup, cancel, refresh tracking...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentJobV1 {
    pub shipment_id: i64,
    /// A courier chosen by a person, overriding the configured preference (assign AWB only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courier_id: Option<i64>,
}

/// A stored webhook to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyWebhookV1 {
    pub inbox_id: i64,
}

/// A recorded NDR decision to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NdrActionV1 {
    pub ndr_action_id: i64,
}

/// A recorded return request to create at Shiprocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateReturnV1 {
    pub return_id: i64,
}

/// A queued notification to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendNotificationV1 {
    pub notification_id: i64,
}

/// A manifest for several shipments at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentBatchV1 {
    pub shipment_ids: Vec<i64>,
}

/// A periodic task; the cron pushes one per tick, once per fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CronTask {
    /// Every 2 h: enqueue tracking refreshes for active shipments without recent news.
    RefreshTracking,
    /// Every 30 min: re-enqueue failed syncs whose retry time has come.
    RetryFailedSyncs,
    /// Daily: delete what has served its purpose.
    Cleanup,
}

/// A cron tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronV1 {
    pub task: CronTask,
}

/// Every job, tagged by `type`, versioned by its payload type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Job {
    SyncOrder(SyncOrderV1),
    UpdateOrder(UpdateOrderV1),
    AssignAwb(ShipmentJobV1),
    GenerateLabel(ShipmentJobV1),
    SchedulePickup(ShipmentJobV1),
    GenerateManifest(ShipmentBatchV1),
    RefreshTracking(ShipmentBatchV1),
    CancelShipment(ShipmentJobV1),
    ApplyWebhook(ApplyWebhookV1),
    NdrAction(NdrActionV1),
    CreateReturn(CreateReturnV1),
    SendNotification(SendNotificationV1),
    Cron(CronV1),
}

impl Job {
    /// The stable name (the `type` tag), used as the outbox `kind` and in metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::SyncOrder(_) => "sync_order",
            Job::UpdateOrder(_) => "update_order",
            Job::AssignAwb(_) => "assign_awb",
            Job::GenerateLabel(_) => "generate_label",
            Job::SchedulePickup(_) => "schedule_pickup",
            Job::GenerateManifest(_) => "generate_manifest",
            Job::RefreshTracking(_) => "refresh_tracking",
            Job::CancelShipment(_) => "cancel_shipment",
            Job::ApplyWebhook(_) => "apply_webhook",
            Job::NdrAction(_) => "ndr_action",
            Job::CreateReturn(_) => "create_return",
            Job::SendNotification(_) => "send_notification",
            Job::Cron(_) => "cron",
        }
    }

    /// The shipments the job works on (none for jobs about something else).
    pub fn shipment_ids(&self) -> Vec<i64> {
        match self {
            Job::SyncOrder(j) => vec![j.shipment_id],
            Job::UpdateOrder(j) => vec![j.shipment_id],
            Job::AssignAwb(j) | Job::GenerateLabel(j) | Job::SchedulePickup(j) | Job::CancelShipment(j) => {
                vec![j.shipment_id]
            }
            Job::GenerateManifest(b) | Job::RefreshTracking(b) => b.shipment_ids.clone(),
            Job::ApplyWebhook(_)
            | Job::NdrAction(_)
            | Job::CreateReturn(_)
            | Job::SendNotification(_)
            | Job::Cron(_) => vec![],
        }
    }

    pub fn priority(&self) -> Priority {
        match self {
            Job::SyncOrder(_)
            | Job::UpdateOrder(_)
            | Job::ApplyWebhook(_)
            | Job::CancelShipment(_)
            | Job::NdrAction(_) => Priority::High,
            Job::AssignAwb(_)
            | Job::GenerateLabel(_)
            | Job::SchedulePickup(_)
            | Job::GenerateManifest(_)
            | Job::RefreshTracking(_)
            | Job::CreateReturn(_)
            | Job::SendNotification(_) => Priority::Medium,
            Job::Cron(_) => Priority::Low,
        }
    }

    /// The job as the outbox stores it.
    pub fn to_payload(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| StoreError::Invalid(format!("encoding a {} job: {e}", self.kind())))
    }

    pub fn from_payload(payload: &str) -> Result<Job> {
        serde_json::from_str(payload).map_err(|e| StoreError::Invalid(format!("decoding a job: {e}")))
    }
}

/// A job as the outbox and the queue carry it: the versioned payload, plus the W3C
/// `traceparent` of the span that promised it (absent in payloads written before tracing,
/// or with tracing off), so the worker continues the request's trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedJob {
    #[serde(flatten)]
    pub job: Job,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl TracedJob {
    pub fn from_payload(payload: &str) -> Result<TracedJob> {
        serde_json::from_str(payload).map_err(|e| StoreError::Invalid(format!("decoding a job: {e}")))
    }

    pub fn to_payload(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| StoreError::Invalid(format!("encoding a {} job: {e}", self.job.kind())))
    }
}

static TRACE_CONTEXT: OnceLock<fn() -> Option<String>> = OnceLock::new();

/// Where the store reads the current `traceparent` when it writes an outbox row. The binaries
/// set it at start (the store itself knows nothing of tracing); unset, jobs carry none.
pub fn set_trace_context_source(source: fn() -> Option<String>) {
    let _ = TRACE_CONTEXT.set(source);
}

pub(crate) fn current_traceparent() -> Option<String> {
    TRACE_CONTEXT.get().and_then(|source| source())
}

impl Store {
    /// Promises a job: an outbox row, which the relay hands to the queue. Pass a transaction
    /// as `conn` to make the promise part of the change that needs it.
    pub async fn enqueue<C: ConnectionTrait>(&self, conn: &C, job: &Job) -> Result<i64> {
        let at = now();
        let row = outbox::ActiveModel {
            kind: Set(job.kind().to_owned()),
            payload: Set(TracedJob { job: job.clone(), traceparent: current_traceparent() }.to_payload()?),
            created_at: Set(at),
            available_at: Set(at),
            locked_until: Set(None),
            dispatched_at: Set(None),
            attempts: Set(0),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        Ok(row.id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_ingest_payload_decodes_as_a_sync_job() {
        // What `ingest_order` writes: the template plus the ids it adds.
        let written = serde_json::json!({"type": "sync_order", "order_id": 3, "shipment_id": 4}).to_string();
        assert_eq!(Job::from_payload(&written).unwrap(), Job::SyncOrder(SyncOrderV1 { order_id: 3, shipment_id: 4 }));
    }

    #[test]
    fn payloads_round_trip_and_unknown_types_fail() {
        let job = Job::AssignAwb(ShipmentJobV1 { shipment_id: 9, courier_id: Some(43) });
        assert_eq!(Job::from_payload(&job.to_payload().unwrap()).unwrap(), job);
        assert_eq!(job.kind(), "assign_awb");
        assert!(Job::from_payload(r#"{"type": "launch_rocket"}"#).is_err());
    }

    #[test]
    fn the_trace_context_is_optional_and_invisible_to_plain_decoding() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let old = r#"{"type": "sync_order", "order_id": 3, "shipment_id": 4}"#;
        let traced = TracedJob::from_payload(old).unwrap();
        assert_eq!((traced.job.kind(), traced.traceparent), ("sync_order", None), "old payloads decode");
        let new = TracedJob { job: Job::from_payload(old).unwrap(), traceparent: Some(tp.into()) };
        let payload = new.to_payload().unwrap();
        assert!(payload.contains(tp), "{payload}");
        assert_eq!(TracedJob::from_payload(&payload).unwrap(), new);
        assert_eq!(Job::from_payload(&payload).unwrap(), new.job, "an older reader ignores the field");
        let untraced = TracedJob { job: new.job.clone(), traceparent: None }.to_payload().unwrap();
        assert_eq!(untraced, new.job.to_payload().unwrap(), "no field at all without a trace");
    }
}
