//! `tracking_events` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tracking_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shipment_id: i64,
    /// Set on a customer return's scans (for its AWB); the shipment's merge reads them through
    /// the return's meaning (`ReturnState::shipment_status`).
    pub return_id: Option<i64>,
    pub awb: String,
    /// AWB, status and timestamp: one row per event however often it arrives.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// `shipment`, `order` or `label`: which of Shiprocket's status spaces `status_code` is in.
    pub status_space: String,
    pub status_code: Option<i64>,
    pub status_label: String,
    pub occurred_at: DateTimeUtc,
    pub location: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub activity: Option<String>,
    /// `webhook` or `poll`.
    pub source: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
