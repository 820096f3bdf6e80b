//! One sea-orm entity per table; the schema itself lives in `migrations/`.

pub mod admin_session;
pub mod audit_log;
pub mod dead_job;
pub mod document;
pub mod ndr_action;
pub mod notification;
pub mod order;
pub mod order_item;
pub mod outbox;
pub mod queue_depth;
pub mod rate_cache;
pub mod return_request;
pub mod shipment;
pub mod tracking_event;
pub mod webhook_inbox;
