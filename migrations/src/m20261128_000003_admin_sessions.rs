//! Signed-in admin sessions, kept server-side so signing out or expiring is immediate and a
//! stolen cookie can be revoked; plus the indexes the admin pages' filters need.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000003_admin_sessions"
    }
}

#[derive(DeriveIden)]
enum AdminSessions {
    Table,
    /// SHA-256 of the cookie's token (hex): a database leak gives no usable cookie.
    Id,
    Username,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    CourierName,
    CreatedAt,
    State,
    Id,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AdminSessions::Table)
                .if_not_exists()
                .col(string(AdminSessions::Id).primary_key())
                .col(string(AdminSessions::Username))
                .col(string(AdminSessions::CsrfToken))
                .col(timestamp_with_time_zone(AdminSessions::CreatedAt))
                .col(timestamp_with_time_zone(AdminSessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_admin_sessions_expires")
                .table(AdminSessions::Table)
                .col(AdminSessions::ExpiresAt)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        // The shipment list filters by courier and by state, newest first.
        m.create_index(
            Index::create()
                .name("idx_shipments_courier_created")
                .table(Shipments::Table)
                .col(Shipments::CourierName)
                .col(Shipments::CreatedAt)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_shipments_state_id")
                .table(Shipments::Table)
                .col(Shipments::State)
                .col(Shipments::Id)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_shipments_state_id", "idx_shipments_courier_created"] {
            m.drop_index(Index::drop().name(name).table(Shipments::Table).if_exists().to_owned()).await?;
        }
        m.drop_table(Table::drop().table(AdminSessions::Table).if_exists().to_owned()).await
    }
}
