//! `returns` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shipment_id: i64,
    #[sea_orm(unique)]
    pub channel_return_id: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// A `shipping_domain::ReturnState` name; written only through `ReturnState`.
    pub status: String,
    pub sr_order_id: Option<i64>,
    pub sr_shipment_id: Option<i64>,
    pub awb: Option<String>,
    pub courier_id: Option<i64>,
    pub courier_name: Option<String>,
    pub pickup_scheduled_at: Option<DateTimeUtc>,
    /// The newest scan's time.
    pub last_event_at: Option<DateTimeUtc>,
    pub last_webhook_at: Option<DateTimeUtc>,
    pub last_polled_at: Option<DateTimeUtc>,
    /// Why Shiprocket refused the return for good (state `failed`).
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// An exchange's replacement lines (JSON `OrderLine`s); `None` on a plain return.
    #[sea_orm(column_type = "Text", nullable)]
    pub exchange_lines: Option<String>,
    /// An exchange's `shipping_domain::ReplacementShips` name.
    pub replacement_ships: Option<String>,
    /// The exchange's replacement shipment, once it exists.
    pub replacement_shipment_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
