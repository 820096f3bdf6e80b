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
    pub status: String,
    pub sr_order_id: Option<i64>,
    pub sr_shipment_id: Option<i64>,
    pub awb: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
