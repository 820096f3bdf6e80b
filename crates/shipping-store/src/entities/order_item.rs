//! `order_items` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub sku: String,
    pub name: String,
    pub units: i32,
    pub unit_price_paise: i64,
    pub discount_paise: i64,
    pub tax_percent: f64,
    pub hsn: Option<String>,
    pub weight_grams: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
