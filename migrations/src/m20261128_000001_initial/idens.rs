//! The names of the initial schema's tables and columns.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub(super) enum Orders {
    Table,
    Id,
    ShopOrderId,
    PayloadHash,
    Payload,
    PaymentMethod,
    CodAmountPaise,
    TotalPaise,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum OrderItems {
    Table,
    Id,
    OrderId,
    Sku,
    Name,
    Units,
    UnitPricePaise,
    DiscountPaise,
    TaxPercent,
    Hsn,
    WeightGrams,
}

#[derive(DeriveIden)]
pub(super) enum Shipments {
    Table,
    Id,
    OrderId,
    ChannelOrderId,
    ReshipAttempt,
    SyncStatus,
    SyncError,
    SyncAttempts,
    NextSyncAt,
    SrOrderId,
    SrShipmentId,
    Awb,
    CourierId,
    CourierName,
    State,
    StateRaw,
    NdrAttempts,
    LastEventAt,
    LastWebhookAt,
    LastPolledAt,
    TrackingToken,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum TrackingEvents {
    Table,
    Id,
    ShipmentId,
    Awb,
    DedupeKey,
    StatusSpace,
    StatusCode,
    StatusLabel,
    OccurredAt,
    Location,
    Activity,
    Source,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum Documents {
    Table,
    Id,
    ShipmentId,
    Kind,
    SourceUrl,
    ContentType,
    Content,
    Sha256,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(super) enum RateCache {
    Table,
    Id,
    PickupPincode,
    DeliveryPincode,
    WeightSlabGrams,
    Cod,
    Response,
    FetchedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
pub(super) enum WebhookInbox {
    Table,
    Id,
    DedupeKey,
    Awb,
    Payload,
    ReceivedAt,
    ProcessedAt,
    Error,
}

#[derive(DeriveIden)]
pub(super) enum Outbox {
    Table,
    Id,
    Kind,
    Payload,
    CreatedAt,
    AvailableAt,
    LockedUntil,
    DispatchedAt,
    Attempts,
}

#[derive(DeriveIden)]
pub(super) enum Notifications {
    Table,
    Id,
    ShipmentId,
    Kind,
    Recipient,
    Status,
    Error,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
pub(super) enum Returns {
    Table,
    Id,
    ShipmentId,
    ChannelReturnId,
    Reason,
    Status,
    SrOrderId,
    SrShipmentId,
    Awb,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(super) enum NdrActions {
    Table,
    Id,
    ShipmentId,
    Action,
    Comments,
    DeferredDate,
    NewPhone,
    NewAddress,
    RequestedBy,
    Status,
    Error,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
pub(super) enum AuditLog {
    Table,
    Id,
    Entity,
    EntityId,
    Action,
    Actor,
    Details,
    CreatedAt,
}
