//! Customer returns run to the end: the return's scans, its courier and pickup, and when it
//! was last heard of (webhook) or polled, so the refresh can track returns as it tracks
//! shipments.
//!
//! The return's scans live in `tracking_events` with `return_id` set, rather than a table of
//! their own: they share the event's shape and its dedupe key (AWB, status, time; a return AWB
//! is not a forward AWB), and the shipment's forward-only merge must read them too (the shipment
//! goes to `return_delivered` with its return), which one table keeps in one query and one
//! transaction. No foreign key on `return_id`: SQLite cannot add one to an existing table; the
//! store writes it only from a return row it holds locked.
//!
//! Existing rows: the old `create_return` marked a return `pickup_scheduled` right after its
//! AWB without scheduling anything; those become `created` (what they really are). Their pickup
//! is not scheduled by this migration (the lead decides: re-request them, or enqueue
//! `schedule_return_pickup` for them).

use sea_orm_migration::prelude::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000008_returns"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Returns {
    Table,
    Awb,
    CourierId,
    CourierName,
    PickupScheduledAt,
    LastEventAt,
    LastWebhookAt,
    LastPolledAt,
    Error,
}

#[derive(DeriveIden, Clone, Copy)]
enum TrackingEvents {
    Table,
    ReturnId,
}

const TIMESTAMPS: [Returns; 4] =
    [Returns::PickupScheduledAt, Returns::LastEventAt, Returns::LastWebhookAt, Returns::LastPolledAt];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let add = |col: ColumnDef| Table::alter().table(Returns::Table).add_column(col).to_owned();
        m.alter_table(add(ColumnDef::new(Returns::CourierId).big_integer().null().to_owned())).await?;
        m.alter_table(add(ColumnDef::new(Returns::CourierName).string().null().to_owned())).await?;
        for col in TIMESTAMPS {
            m.alter_table(add(ColumnDef::new(col).timestamp_with_time_zone().null().to_owned())).await?;
        }
        m.alter_table(add(ColumnDef::new(Returns::Error).text().null().to_owned())).await?;
        m.alter_table(
            Table::alter()
                .table(TrackingEvents::Table)
                .add_column(ColumnDef::new(TrackingEvents::ReturnId).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_tracking_events_return")
                .table(TrackingEvents::Table)
                .col(TrackingEvents::ReturnId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        // Webhooks and polls find the return by its AWB.
        m.create_index(
            Index::create().name("idx_returns_awb").table(Returns::Table).col(Returns::Awb).if_not_exists().to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE returns SET status = 'created' WHERE status = 'pickup_scheduled'")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Indexes first: SQLite cannot drop an indexed column.
        m.drop_index(Index::drop().name("idx_returns_awb").table(Returns::Table).if_exists().to_owned()).await?;
        m.drop_index(
            Index::drop().name("idx_tracking_events_return").table(TrackingEvents::Table).if_exists().to_owned(),
        )
        .await?;
        // The return's scans go with the column that tells them apart.
        m.get_connection().execute_unprepared("DELETE FROM tracking_events WHERE return_id IS NOT NULL").await?;
        m.alter_table(Table::alter().table(TrackingEvents::Table).drop_column(TrackingEvents::ReturnId).to_owned())
            .await?;
        for col in [Returns::CourierId, Returns::CourierName, Returns::Error].into_iter().chain(TIMESTAMPS) {
            m.alter_table(Table::alter().table(Returns::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
