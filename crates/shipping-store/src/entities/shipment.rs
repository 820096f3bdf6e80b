//! `shipments` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    /// The channel order id sent to Shiprocket: the shop order id, plus `-R<n>` on a re-ship.
    #[sea_orm(unique)]
    pub channel_order_id: String,
    pub reship_attempt: i32,
    /// `pending`, `in_progress`, `synced`, `failed`.
    pub sync_status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub sync_error: Option<String>,
    pub sync_attempts: i32,
    pub next_sync_at: Option<DateTimeUtc>,
    pub sr_order_id: Option<i64>,
    pub sr_shipment_id: Option<i64>,
    pub awb: Option<String>,
    pub courier_id: Option<i64>,
    pub courier_name: Option<String>,
    /// The domain state's name (`in_transit`, `ndr`, ...).
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
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
