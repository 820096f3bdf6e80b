//! `ndr_actions` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ndr_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shipment_id: i64,
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub comments: String,
    pub deferred_date: Option<Date>,
    pub new_phone: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub new_address: Option<String>,
    pub requested_by: String,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
