//! Indexes that let the dashboard's aggregates read indexes only (once vacuumed): the courier
//! figures over a date window, and the NDRs waiting for a decision. The NDR index replaces
//! `idx_shipments_state_id` (a prefix of it, so the list's state filter is served as before).
//!
//! Each is one more index to update when a shipment changes; shipments change a few times each
//! (sync, AWB, label, pickup, a handful of tracking states), which is cheap next to a dashboard
//! that reads every shipment of the last 30 days on each load.

use sea_orm_migration::prelude::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000005_dashboard_indexes"
    }
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    State,
    NdrAttempts,
    CreatedAt,
    CourierName,
    DeliveredAt,
    PickedUpAt,
    PromisedDeliveryAt,
}

fn index(name: &str, cols: Vec<Shipments>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Shipments::Table).if_not_exists();
    for c in cols {
        i.col(c);
    }
    i.to_owned()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Shipments::Table).if_exists().to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Shipments::*;
        m.create_index(index(
            "idx_shipments_courier_window",
            vec![CreatedAt, CourierName, State, DeliveredAt, PickedUpAt, PromisedDeliveryAt],
        ))
        .await?;
        m.create_index(index("idx_shipments_state_id_ndr", vec![State, Id, NdrAttempts])).await?;
        m.drop_index(drop("idx_shipments_state_id")).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Shipments::*;
        m.create_index(index("idx_shipments_state_id", vec![State, Id])).await?;
        m.drop_index(drop("idx_shipments_state_id_ndr")).await?;
        m.drop_index(drop("idx_shipments_courier_window")).await
    }
}
