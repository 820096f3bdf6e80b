//! When the courier first had the parcel, when it was delivered, and the courier's delivery
//! estimates (the first one, which on-time is measured against, and the latest one, which the
//! customer sees), kept on the shipment so the dashboard's courier figures read one row per
//! shipment instead of searching its events.
//!
//! Existing rows are filled from what is stored: the first event of a shipment past pickup and
//! the last event of a delivered one (close enough for shipments recorded before this; new
//! events keep the columns exact). Estimates start empty.

use sea_orm_migration::prelude::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000004_shipment_milestones"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Shipments {
    Table,
    PickedUpAt,
    DeliveredAt,
    PromisedDeliveryAt,
    ExpectedDeliveryAt,
}

const COLUMNS: [Shipments; 4] =
    [Shipments::PickedUpAt, Shipments::DeliveredAt, Shipments::PromisedDeliveryAt, Shipments::ExpectedDeliveryAt];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for col in COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(Shipments::Table)
                    .add_column(ColumnDef::new(col).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE shipments SET picked_up_at = (SELECT MIN(t.occurred_at) FROM tracking_events t \
             WHERE t.shipment_id = shipments.id) \
             WHERE state IN ('picked_up', 'in_transit', 'out_for_delivery', 'ndr', 'delivered', 'rto_initiated', \
             'rto_in_transit', 'rto_delivered', 'return_requested', 'return_picked_up', 'return_delivered')",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE shipments SET delivered_at = last_event_at \
             WHERE state IN ('delivered', 'return_requested', 'return_picked_up', 'return_delivered')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in COLUMNS {
            m.alter_table(Table::alter().table(Shipments::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
