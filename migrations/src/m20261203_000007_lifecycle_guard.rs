//! What keeps every shipment moving or visibly waiting for a person (ADR 0008):
//!
//! - `attention_reason` / `attention_message` / `attention_since`: the shipment needs a person,
//!   why (a reason code of the domain's `AttentionReason`) and since when;
//! - `cancel_requested_at`: a cancel was asked for; every later job checks it inside its
//!   transaction, so cancellation wins every race;
//! - `waiting_since`: when the current wait began (the last change of state, or the
//!   reconciler's last re-promise): what its deadlines run from (existing rows: `updated_at`);
//! - `reconcile_attempts`: how often the reconciler re-promised the current state's missing
//!   step (reset on every state change);
//! - `failed_syncs`: refusals of the order by Shiprocket, capped before attention;
//! - `requested_courier_id` / `courier_note`: the courier the customer picked at checkout, and
//!   why another one was booked when it was.

use sea_orm_migration::prelude::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000007_lifecycle_guard"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Shipments {
    Table,
    AttentionReason,
    AttentionMessage,
    AttentionSince,
    CancelRequestedAt,
    WaitingSince,
    ReconcileAttempts,
    FailedSyncs,
    RequestedCourierId,
    CourierNote,
}

fn columns() -> Vec<ColumnDef> {
    use Shipments as S;
    vec![
        ColumnDef::new(S::AttentionReason).string().null().to_owned(),
        ColumnDef::new(S::AttentionMessage).text().null().to_owned(),
        ColumnDef::new(S::AttentionSince).timestamp_with_time_zone().null().to_owned(),
        ColumnDef::new(S::CancelRequestedAt).timestamp_with_time_zone().null().to_owned(),
        ColumnDef::new(S::WaitingSince).timestamp_with_time_zone().null().to_owned(),
        ColumnDef::new(S::ReconcileAttempts).integer().not_null().default(0).to_owned(),
        ColumnDef::new(S::FailedSyncs).integer().not_null().default(0).to_owned(),
        ColumnDef::new(S::RequestedCourierId).big_integer().null().to_owned(),
        ColumnDef::new(S::CourierNote).text().null().to_owned(),
    ]
}

const NAMES: [Shipments; 9] = [
    Shipments::AttentionReason,
    Shipments::AttentionMessage,
    Shipments::AttentionSince,
    Shipments::CancelRequestedAt,
    Shipments::WaitingSince,
    Shipments::ReconcileAttempts,
    Shipments::FailedSyncs,
    Shipments::RequestedCourierId,
    Shipments::CourierNote,
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for mut col in columns() {
            m.alter_table(Table::alter().table(Shipments::Table).add_column(&mut col).to_owned()).await?;
        }
        m.get_connection().execute_unprepared("UPDATE shipments SET waiting_since = updated_at").await?;
        // The reconciler's scan: non-terminal shipments by state and age, without attention.
        m.create_index(
            Index::create()
                .name("idx_shipments_reconcile")
                .table(Shipments::Table)
                .col(Shipments::AttentionReason)
                .col(Shipments::WaitingSince)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_shipments_reconcile").table(Shipments::Table).to_owned()).await?;
        for col in NAMES {
            m.alter_table(Table::alter().table(Shipments::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
