//! Exchanges: a return may name replacement lines, and its replacement is a shipment of the
//! same order with its own parcel.
//!
//! - `returns.exchange_lines` (JSON lines; null on a plain return, `[]`-free: an exchange of the
//!   returned lines again stores them), `returns.replacement_ships` (`on_pickup` / `at_once`)
//!   and `returns.replacement_shipment_id` once the replacement exists.
//! - `shipments.exchange_number` (0 for the order's own parcel, n for the n-th exchange's
//!   replacement: the `-X<n>` of its channel order id), `shipments.parcel_payload` (the order as
//!   this parcel ships it, when that is not the order's own payload) and
//!   `shipments.replacement_for_return_id`, unique: a return gets one replacement, however
//!   often its pickup is reported.

use sea_orm_migration::prelude::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000009_exchanges"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Returns {
    Table,
    ExchangeLines,
    ReplacementShips,
    ReplacementShipmentId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Shipments {
    Table,
    ExchangeNumber,
    ParcelPayload,
    ReplacementForReturnId,
}

const REPLACEMENT_INDEX: &str = "idx_shipments_replacement_for_return";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let returns = |col: ColumnDef| Table::alter().table(Returns::Table).add_column(col).to_owned();
        m.alter_table(returns(ColumnDef::new(Returns::ExchangeLines).text().null().to_owned())).await?;
        m.alter_table(returns(ColumnDef::new(Returns::ReplacementShips).string().null().to_owned())).await?;
        m.alter_table(returns(ColumnDef::new(Returns::ReplacementShipmentId).big_integer().null().to_owned())).await?;
        let shipments = |col: ColumnDef| Table::alter().table(Shipments::Table).add_column(col).to_owned();
        m.alter_table(shipments(ColumnDef::new(Shipments::ExchangeNumber).integer().not_null().default(0).to_owned()))
            .await?;
        m.alter_table(shipments(ColumnDef::new(Shipments::ParcelPayload).text().null().to_owned())).await?;
        m.alter_table(shipments(ColumnDef::new(Shipments::ReplacementForReturnId).big_integer().null().to_owned()))
            .await?;
        m.create_index(
            Index::create()
                .name(REPLACEMENT_INDEX)
                .table(Shipments::Table)
                .col(Shipments::ReplacementForReturnId)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The index first: SQLite cannot drop an indexed column.
        m.drop_index(Index::drop().name(REPLACEMENT_INDEX).table(Shipments::Table).if_exists().to_owned()).await?;
        for col in [Shipments::ExchangeNumber, Shipments::ParcelPayload, Shipments::ReplacementForReturnId] {
            m.alter_table(Table::alter().table(Shipments::Table).drop_column(col).to_owned()).await?;
        }
        for col in [Returns::ExchangeLines, Returns::ReplacementShips, Returns::ReplacementShipmentId] {
            m.alter_table(Table::alter().table(Returns::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
