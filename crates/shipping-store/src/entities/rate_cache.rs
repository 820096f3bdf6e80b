//! `rate_cache` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_cache")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub pickup_pincode: String,
    pub delivery_pincode: String,
    pub weight_slab_grams: i32,
    pub cod: bool,
    #[sea_orm(column_type = "Text")]
    pub response: String,
    pub fetched_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
