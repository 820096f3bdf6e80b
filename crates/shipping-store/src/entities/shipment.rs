//! `shipments` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    /// The channel order id sent to Shiprocket: the shop order id, plus `-X<n>` on an exchange's
    /// replacement, plus `-R<n>` on a re-ship.
    #[sea_orm(unique)]
    pub channel_order_id: String,
    pub reship_attempt: i32,
    /// A `SyncStatus` name (read it with `sync_status_of`).
    pub sync_status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub sync_error: Option<String>,
    /// Why the sync failed, a `SyncErrorClass` code, set and cleared with `sync_error` (read it
    /// with `sync_error_class_of`).
    pub sync_error_class: Option<String>,
    pub sync_attempts: i32,
    pub next_sync_at: Option<DateTimeUtc>,
    pub sr_order_id: Option<i64>,
    pub sr_shipment_id: Option<i64>,
    pub awb: Option<String>,
    pub courier_id: Option<i64>,
    pub courier_name: Option<String>,
    /// A `ShipmentState` name (read it with `state_of`).
    pub state: String,
    /// The last raw Shiprocket status that could not be mapped, kept for operators.
    pub state_raw: Option<String>,
    pub ndr_attempts: i32,
    pub last_event_at: Option<DateTimeUtc>,
    pub last_webhook_at: Option<DateTimeUtc>,
    pub last_polled_at: Option<DateTimeUtc>,
    /// The earliest event with the parcel at the courier (pickup or later).
    pub picked_up_at: Option<DateTimeUtc>,
    /// When it reached the customer.
    pub delivered_at: Option<DateTimeUtc>,
    /// The courier's first delivery estimate: what on-time is measured against.
    pub promised_delivery_at: Option<DateTimeUtc>,
    /// The courier's latest delivery estimate: what the customer is shown.
    pub expected_delivery_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub tracking_token: String,
    /// Why the shipment needs a person (an `AttentionReason` code); `None` while it moves.
    pub attention_reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub attention_message: Option<String>,
    pub attention_since: Option<DateTimeUtc>,
    /// A cancel was asked for: every later job stops (cancellation wins).
    pub cancel_requested_at: Option<DateTimeUtc>,
    /// When the current wait began (the last change of state, or the reconciler's last
    /// re-promise): the reconciler's deadlines run from here.
    pub waiting_since: Option<DateTimeUtc>,
    /// Re-promises of the current state's missing step by the reconciler.
    pub reconcile_attempts: i32,
    /// Times Shiprocket refused the order (capped, then attention).
    pub failed_syncs: i32,
    /// The courier the customer picked at checkout.
    pub requested_courier_id: Option<i64>,
    /// Why the booked courier is not the one asked for, when it is not.
    #[sea_orm(column_type = "Text", nullable)]
    pub courier_note: Option<String>,
    /// 0 for the order's own parcel; n for the replacement of the order's n-th exchange.
    pub exchange_number: i32,
    /// The order as this parcel ships it (a `ShopOrder` as JSON), when it is not the order's
    /// own payload: an exchange's replacement.
    #[sea_orm(column_type = "Text", nullable)]
    pub parcel_payload: Option<String>,
    /// The return whose exchange this shipment replaces.
    #[sea_orm(unique)]
    pub replacement_for_return_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
