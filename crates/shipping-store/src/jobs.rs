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

/// The next step of a created return (its AWB, then its pickup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnStepV1 {
    pub return_id: i64,
}

/// Returns to poll through the multi-AWB tracking endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnBatchV1 {
    pub return_ids: Vec<i64>,
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

/// A periodic task; the cron pushes one per tick, once per fleet. Each task's schedule is beside
/// what it does, in the worker's `jobs/cron.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CronTask {
    /// Enqueue tracking refreshes for active shipments without recent news.
    RefreshTracking,
    /// Re-enqueue failed syncs whose retry time has come.
    RetryFailedSyncs,
    /// Delete what has served its purpose (store rows and finished queue records).
    Cleanup,
    /// Shipments past their state's deadline get their missing step promised again, or need
    /// attention (ADR 0008).
    Reconcile,
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
    AssignReturnAwb(ReturnStepV1),
    ScheduleReturnPickup(ReturnStepV1),
    RefreshReturns(ReturnBatchV1),
    SendNotification(SendNotificationV1),
    Cron(CronV1),
}

/// What is known of a kind of job, registered in one place ([`JOBS`]): its name, its queue,
/// whether it is about one shipment's lifecycle (a dead one then needs attention), and which
/// jobs it may promise in the transaction that saves its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSpec {
    /// The stable name (the `type` tag), used as the outbox `kind` and in metrics.
    pub kind: &'static str,
    pub priority: Priority,
    /// A step of a shipment's lifecycle: when it dies, the shipment needs attention.
    pub lifecycle_step: bool,
    /// The kinds it may promise next, in the same transaction as its step.
    pub promises: &'static [&'static str],
}

const fn spec(
    kind: &'static str,
    priority: Priority,
    lifecycle_step: bool,
    promises: &'static [&'static str],
) -> JobSpec {
    JobSpec { kind, priority, lifecycle_step, promises }
}

/// Every kind of job.
pub const JOBS: [JobSpec; 16] = [
    spec("sync_order", Priority::High, true, &["assign_awb", "send_notification", "cancel_shipment"]),
    spec("assign_awb", Priority::Medium, true, &["generate_label", "schedule_pickup", "cancel_shipment"]),
    spec("generate_label", Priority::Medium, true, &[]),
    spec("schedule_pickup", Priority::Medium, true, &[]),
    spec("generate_manifest", Priority::Medium, false, &[]),
    spec("refresh_tracking", Priority::Medium, false, &["send_notification"]),
    spec("cancel_shipment", Priority::High, true, &["send_notification"]),
    spec("apply_webhook", Priority::High, false, &["send_notification"]),
    spec("ndr_action", Priority::High, false, &[]),
    spec("create_return", Priority::Medium, false, &["assign_return_awb"]),
    spec("assign_return_awb", Priority::Medium, false, &["schedule_return_pickup", "send_notification"]),
    spec("schedule_return_pickup", Priority::Medium, false, &["send_notification"]),
    spec("refresh_returns", Priority::Medium, false, &["send_notification"]),
    spec("send_notification", Priority::Medium, false, &[]),
    spec(
        "cron",
        Priority::Low,
        false,
        &[
            "refresh_tracking",
            "refresh_returns",
            "sync_order",
            "assign_awb",
            "generate_label",
            "schedule_pickup",
            "cancel_shipment",
        ],
    ),
    spec("update_order", Priority::High, false, &[]),
];

impl Job {
    /// This job's entry in [`JOBS`].
    pub fn spec(&self) -> &'static JobSpec {
        let i = match self {
            Job::SyncOrder(_) => 0,
            Job::AssignAwb(_) => 1,
            Job::GenerateLabel(_) => 2,
            Job::SchedulePickup(_) => 3,
            Job::GenerateManifest(_) => 4,
            Job::RefreshTracking(_) => 5,
            Job::CancelShipment(_) => 6,
            Job::ApplyWebhook(_) => 7,
            Job::NdrAction(_) => 8,
            Job::CreateReturn(_) => 9,
            Job::AssignReturnAwb(_) => 10,
            Job::ScheduleReturnPickup(_) => 11,
            Job::RefreshReturns(_) => 12,
            Job::SendNotification(_) => 13,
            Job::Cron(_) => 14,
            Job::UpdateOrder(_) => 15,
        };
        &JOBS[i]
    }

    /// The stable name (the `type` tag), used as the outbox `kind` and in metrics.
    pub fn kind(&self) -> &'static str {
        self.spec().kind
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
            | Job::AssignReturnAwb(_)
            | Job::ScheduleReturnPickup(_)
            | Job::RefreshReturns(_)
            | Job::SendNotification(_)
            | Job::Cron(_) => vec![],
        }
    }

    pub fn priority(&self) -> Priority {
        self.spec().priority
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
    /// Promises several jobs at once, in one transaction (a cron's plan: all of it or none).
    pub async fn enqueue_all(&self, jobs: &[Job]) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let txn = self.begin_write().await?;
        for job in jobs {
            self.enqueue(&txn, job).await?;
        }
        txn.commit().await?;
        Ok(())
    }

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
    fn every_job_has_its_own_spec_and_promises_only_known_kinds() {
        let kinds: Vec<&str> = JOBS.iter().map(|s| s.kind).collect();
        let mut unique = kinds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), JOBS.len(), "one spec per kind");
        for s in &JOBS {
            for p in s.promises {
                assert!(kinds.contains(p), "{} promises unknown {p}", s.kind);
            }
        }
        // The serde tag is the spec's kind.
        let job = Job::CancelShipment(ShipmentJobV1 { shipment_id: 1, courier_id: None });
        assert!(job.to_payload().unwrap().contains(&format!("\"type\":\"{}\"", job.kind())));
        let cron = Job::Cron(CronV1 { task: CronTask::Reconcile });
        assert!(cron.to_payload().unwrap().contains("\"type\":\"cron\""));
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
