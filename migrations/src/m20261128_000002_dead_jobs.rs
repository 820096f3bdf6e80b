//! Dead letters: jobs that will not be tried again, kept where operators can list and replay
//! them (apalis' own dead set is per backend and hard to see).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000002_dead_jobs"
    }
}

#[derive(DeriveIden)]
enum DeadJobs {
    Table,
    Id,
    Kind,
    Payload,
    Attempts,
    Error,
    CreatedAt,
    ReplayedAt,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DeadJobs::Table)
                .if_not_exists()
                .col(big_pk_auto(DeadJobs::Id))
                .col(string(DeadJobs::Kind))
                .col(text(DeadJobs::Payload))
                .col(integer(DeadJobs::Attempts))
                .col(text(DeadJobs::Error))
                .col(timestamp_with_time_zone(DeadJobs::CreatedAt))
                .col(timestamp_with_time_zone_null(DeadJobs::ReplayedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dead_jobs_pending")
                .table(DeadJobs::Table)
                .col(DeadJobs::ReplayedAt)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DeadJobs::Table).if_exists().to_owned()).await
    }
}
