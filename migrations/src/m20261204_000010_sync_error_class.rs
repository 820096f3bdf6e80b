//! `shipments.sync_error_class`: why the last sync failed, as a class
//! (`shipping_domain::SyncErrorClass`'s code), written with `sync_error` when Shiprocket refuses
//! the order and cleared with it. Null on rows that failed before this column existed.

use sea_orm_migration::prelude::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000010_sync_error_class"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Shipments {
    Table,
    SyncErrorClass,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Shipments::Table)
                .add_column(ColumnDef::new(Shipments::SyncErrorClass).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Shipments::Table).drop_column(Shipments::SyncErrorClass).to_owned()).await
    }
}
