//! The initial schema. Uniqueness constraints carry the rules that keep the product correct:
//! one order per shop order id, one shipment per channel order id, one tracking event per
//! (awb, status, time), one webhook per dedupe key, one notification per (shipment, kind).

mod idens;

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(Debug)]
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000001_initial"
    }
}

use idens::{
    AuditLog, Documents, NdrActions, Notifications, OrderItems, Orders, Outbox, RateCache, Returns, Shipments,
    TrackingEvents, WebhookInbox,
};

fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from_table, from_col).to(to_table, to_col).on_delete(ForeignKeyAction::Cascade).to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Orders::Table)
                .if_not_exists()
                .col(big_pk_auto(Orders::Id))
                .col(string_uniq(Orders::ShopOrderId))
                .col(string(Orders::PayloadHash))
                .col(text(Orders::Payload))
                .col(string(Orders::PaymentMethod))
                .col(big_integer(Orders::CodAmountPaise))
                .col(big_integer(Orders::TotalPaise))
                .col(timestamp_with_time_zone(Orders::CreatedAt))
                .col(timestamp_with_time_zone(Orders::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OrderItems::Table)
                .if_not_exists()
                .col(big_pk_auto(OrderItems::Id))
                .col(big_integer(OrderItems::OrderId))
                .col(string(OrderItems::Sku))
                .col(string(OrderItems::Name))
                .col(integer(OrderItems::Units))
                .col(big_integer(OrderItems::UnitPricePaise))
                .col(big_integer(OrderItems::DiscountPaise))
                .col(double(OrderItems::TaxPercent))
                .col(string_null(OrderItems::Hsn))
                .col(integer_null(OrderItems::WeightGrams))
                .foreign_key(&mut fk(OrderItems::Table, OrderItems::OrderId, Orders::Table, Orders::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Shipments::Table)
                .if_not_exists()
                .col(big_pk_auto(Shipments::Id))
                .col(big_integer(Shipments::OrderId))
                .col(string_uniq(Shipments::ChannelOrderId))
                .col(integer(Shipments::ReshipAttempt).default(0))
                .col(string(Shipments::SyncStatus))
                .col(text_null(Shipments::SyncError))
                .col(integer(Shipments::SyncAttempts).default(0))
                .col(timestamp_with_time_zone_null(Shipments::NextSyncAt))
                .col(big_integer_null(Shipments::SrOrderId))
                .col(big_integer_null(Shipments::SrShipmentId))
                .col(string_null(Shipments::Awb))
                .col(big_integer_null(Shipments::CourierId))
                .col(string_null(Shipments::CourierName))
                .col(string(Shipments::State))
                .col(string_null(Shipments::StateRaw))
                .col(integer(Shipments::NdrAttempts).default(0))
                .col(timestamp_with_time_zone_null(Shipments::LastEventAt))
                .col(timestamp_with_time_zone_null(Shipments::LastWebhookAt))
                .col(timestamp_with_time_zone_null(Shipments::LastPolledAt))
                .col(string_uniq(Shipments::TrackingToken))
                .col(integer(Shipments::Version).default(0))
                .col(timestamp_with_time_zone(Shipments::CreatedAt))
                .col(timestamp_with_time_zone(Shipments::UpdatedAt))
                .foreign_key(&mut fk(Shipments::Table, Shipments::OrderId, Orders::Table, Orders::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrackingEvents::Table)
                .if_not_exists()
                .col(big_pk_auto(TrackingEvents::Id))
                .col(big_integer(TrackingEvents::ShipmentId))
                .col(string(TrackingEvents::Awb))
                .col(string_uniq(TrackingEvents::DedupeKey))
                .col(string(TrackingEvents::StatusSpace))
                .col(big_integer_null(TrackingEvents::StatusCode))
                .col(string(TrackingEvents::StatusLabel))
                .col(timestamp_with_time_zone(TrackingEvents::OccurredAt))
                .col(string_null(TrackingEvents::Location))
                .col(text_null(TrackingEvents::Activity))
                .col(string(TrackingEvents::Source))
                .col(timestamp_with_time_zone(TrackingEvents::CreatedAt))
                .foreign_key(&mut fk(
                    TrackingEvents::Table,
                    TrackingEvents::ShipmentId,
                    Shipments::Table,
                    Shipments::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Documents::Table)
                .if_not_exists()
                .col(big_pk_auto(Documents::Id))
                .col(big_integer(Documents::ShipmentId))
                .col(string(Documents::Kind))
                .col(text_null(Documents::SourceUrl))
                .col(string(Documents::ContentType))
                .col(blob(Documents::Content))
                .col(string(Documents::Sha256))
                .col(timestamp_with_time_zone(Documents::CreatedAt))
                .foreign_key(&mut fk(Documents::Table, Documents::ShipmentId, Shipments::Table, Shipments::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RateCache::Table)
                .if_not_exists()
                .col(big_pk_auto(RateCache::Id))
                .col(string(RateCache::PickupPincode))
                .col(string(RateCache::DeliveryPincode))
                .col(integer(RateCache::WeightSlabGrams))
                .col(boolean(RateCache::Cod))
                .col(text(RateCache::Response))
                .col(timestamp_with_time_zone(RateCache::FetchedAt))
                .col(timestamp_with_time_zone(RateCache::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookInbox::Table)
                .if_not_exists()
                .col(big_pk_auto(WebhookInbox::Id))
                .col(string_uniq(WebhookInbox::DedupeKey))
                .col(string(WebhookInbox::Awb))
                .col(text(WebhookInbox::Payload))
                .col(timestamp_with_time_zone(WebhookInbox::ReceivedAt))
                .col(timestamp_with_time_zone_null(WebhookInbox::ProcessedAt))
                .col(text_null(WebhookInbox::Error))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .if_not_exists()
                .col(big_pk_auto(Outbox::Id))
                .col(string(Outbox::Kind))
                .col(text(Outbox::Payload))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone(Outbox::AvailableAt))
                .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                .col(timestamp_with_time_zone_null(Outbox::DispatchedAt))
                .col(integer(Outbox::Attempts).default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .if_not_exists()
                .col(big_pk_auto(Notifications::Id))
                .col(big_integer(Notifications::ShipmentId))
                .col(string(Notifications::Kind))
                .col(string(Notifications::Recipient))
                .col(string(Notifications::Status))
                .col(text_null(Notifications::Error))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Notifications::SentAt))
                .foreign_key(&mut fk(Notifications::Table, Notifications::ShipmentId, Shipments::Table, Shipments::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Returns::Table)
                .if_not_exists()
                .col(big_pk_auto(Returns::Id))
                .col(big_integer(Returns::ShipmentId))
                .col(string_uniq(Returns::ChannelReturnId))
                .col(text(Returns::Reason))
                .col(string(Returns::Status))
                .col(big_integer_null(Returns::SrOrderId))
                .col(big_integer_null(Returns::SrShipmentId))
                .col(string_null(Returns::Awb))
                .col(timestamp_with_time_zone(Returns::CreatedAt))
                .col(timestamp_with_time_zone(Returns::UpdatedAt))
                .foreign_key(&mut fk(Returns::Table, Returns::ShipmentId, Shipments::Table, Shipments::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NdrActions::Table)
                .if_not_exists()
                .col(big_pk_auto(NdrActions::Id))
                .col(big_integer(NdrActions::ShipmentId))
                .col(string(NdrActions::Action))
                .col(text(NdrActions::Comments))
                .col(date_null(NdrActions::DeferredDate))
                .col(string_null(NdrActions::NewPhone))
                .col(text_null(NdrActions::NewAddress))
                .col(string(NdrActions::RequestedBy))
                .col(string(NdrActions::Status))
                .col(text_null(NdrActions::Error))
                .col(timestamp_with_time_zone(NdrActions::CreatedAt))
                .col(timestamp_with_time_zone_null(NdrActions::SentAt))
                .foreign_key(&mut fk(NdrActions::Table, NdrActions::ShipmentId, Shipments::Table, Shipments::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .if_not_exists()
                .col(big_pk_auto(AuditLog::Id))
                .col(string(AuditLog::Entity))
                .col(big_integer(AuditLog::EntityId))
                .col(string(AuditLog::Action))
                .col(string(AuditLog::Actor))
                .col(text(AuditLog::Details))
                .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                .to_owned(),
        )
        .await?;

        for stmt in [
            index("idx_order_items_order", OrderItems::Table, &["order_id"], false),
            index("idx_shipments_order", Shipments::Table, &["order_id"], false),
            index("idx_shipments_awb", Shipments::Table, &["awb"], false),
            index("idx_shipments_state", Shipments::Table, &["state"], false),
            index("idx_shipments_sync", Shipments::Table, &["sync_status", "next_sync_at"], false),
            index("idx_shipments_created", Shipments::Table, &["created_at"], false),
            index("idx_tracking_awb", TrackingEvents::Table, &["awb", "occurred_at"], false),
            index("idx_tracking_shipment", TrackingEvents::Table, &["shipment_id", "occurred_at"], false),
            index("idx_documents_shipment", Documents::Table, &["shipment_id", "kind"], false),
            index(
                "uq_rate_cache_key",
                RateCache::Table,
                &["pickup_pincode", "delivery_pincode", "weight_slab_grams", "cod"],
                true,
            ),
            index("idx_outbox_pending", Outbox::Table, &["dispatched_at", "available_at"], false),
            index("uq_notification_once", Notifications::Table, &["shipment_id", "kind"], true),
            index("idx_returns_shipment", Returns::Table, &["shipment_id"], false),
            index("idx_ndr_actions_shipment", NdrActions::Table, &["shipment_id"], false),
            index("idx_audit_entity", AuditLog::Table, &["entity", "entity_id"], false),
        ] {
            m.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so foreign keys never block a drop.
        for table in [
            AuditLog::Table.into_iden(),
            NdrActions::Table.into_iden(),
            Returns::Table.into_iden(),
            Notifications::Table.into_iden(),
            Outbox::Table.into_iden(),
            WebhookInbox::Table.into_iden(),
            RateCache::Table.into_iden(),
            Documents::Table.into_iden(),
            TrackingEvents::Table.into_iden(),
            Shipments::Table.into_iden(),
            OrderItems::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
