//! The workers' latest reading of each job queue (see the entity `queue_depth`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000006_queue_depths"
    }
}

#[derive(DeriveIden)]
enum QueueDepths {
    Table,
    Queue,
    Ready,
    Scheduled,
    MeasuredAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(QueueDepths::Table)
                .if_not_exists()
                .col(string(QueueDepths::Queue).primary_key())
                .col(big_integer(QueueDepths::Ready))
                .col(big_integer(QueueDepths::Scheduled))
                .col(timestamp_with_time_zone(QueueDepths::MeasuredAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(QueueDepths::Table).if_exists().to_owned()).await
    }
}
