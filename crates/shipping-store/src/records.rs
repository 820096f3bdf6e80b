//! The smaller repositories: documents, rate cache, webhook inbox, notifications, returns, NDR
//! actions and the audit log. Each write that must happen once is guarded by a unique key in
//! the schema, so a retried job cannot write it twice.

use crate::entities::{audit_log, document, ndr_action, notification, rate_cache, return_request, webhook_inbox};
use crate::jobs::{Job, SendNotificationV1};
use crate::{Result, Store, now};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TryInsertResult};
use sha2::{Digest, Sha256};
use shipping_domain::SendStatus;

/// Whether a write that must happen once did happen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Once {
    /// Written now, with this id.
    New(i64),
    /// It was already there.
    AlreadyThere,
}

fn once<T>(r: TryInsertResult<sea_orm::InsertResult<T>>) -> Once
where
    T: ActiveModelTrait,
    <<T::Entity as EntityTrait>::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: Into<i64>,
{
    match r {
        TryInsertResult::Inserted(r) => Once::New(r.last_insert_id.into()),
        TryInsertResult::Conflicted | TryInsertResult::Empty => Once::AlreadyThere,
    }
}

/// Inserts a return request once per channel return id, on `conn` (a transaction when the
/// caller pairs it with its job).
pub(crate) async fn insert_return_request<C: sea_orm::ConnectionTrait>(
    conn: &C,
    shipment_id: i64,
    channel_return_id: &str,
    reason: &str,
    exchange: Option<(&[shipping_domain::OrderLine], shipping_domain::ReplacementShips)>,
) -> Result<Once> {
    let at = now();
    let (lines, ships) = match exchange {
        Some((lines, ships)) => {
            let json = serde_json::to_string(lines).map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
            (Some(json), Some(ships.name().to_owned()))
        }
        None => (None, None),
    };
    let r = return_request::Entity::insert(return_request::ActiveModel {
        shipment_id: Set(shipment_id),
        channel_return_id: Set(channel_return_id.to_owned()),
        reason: Set(reason.to_owned()),
        status: Set(shipping_domain::ReturnState::Requested.name().to_owned()),
        exchange_lines: Set(lines),
        replacement_ships: Set(ships),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([return_request::Column::ChannelReturnId])
    .exec(conn)
    .await?;
    Ok(once(r))
}

/// Queues a notification once per (shipment, kind) with the job that sends it, on `conn` (a
/// transaction when the caller pairs it with the state change that deserves it): the row and
/// its send are promised together or not at all.
pub(crate) async fn queue_notification_on<C: sea_orm::ConnectionTrait>(
    store: &Store,
    conn: &C,
    shipment_id: i64,
    kind: &str,
    recipient_masked: &str,
) -> Result<Once> {
    let r = notification::Entity::insert(notification::ActiveModel {
        shipment_id: Set(shipment_id),
        kind: Set(kind.to_owned()),
        recipient: Set(recipient_masked.to_owned()),
        status: Set(SendStatus::Pending.name().to_owned()),
        created_at: Set(now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([notification::Column::ShipmentId, notification::Column::Kind])
    .exec(conn)
    .await?;
    let once = once(r);
    if let Once::New(id) = once {
        store.enqueue(conn, &Job::SendNotification(SendNotificationV1 { notification_id: id })).await?;
    }
    Ok(once)
}

/// A rate-cache key: the lane, the weight slab and COD.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey {
    pub pickup_pincode: String,
    pub delivery_pincode: String,
    pub weight_slab_grams: i32,
    pub cod: bool,
}

impl Store {
    /// Stores a PDF for a shipment; the newest of a kind is the current one.
    pub async fn save_document(
        &self,
        shipment_id: i64,
        kind: &str,
        source_url: Option<&str>,
        content: Vec<u8>,
    ) -> Result<i64> {
        let sha = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect::<String>();
        let row = document::ActiveModel {
            shipment_id: Set(shipment_id),
            kind: Set(kind.to_owned()),
            source_url: Set(source_url.map(str::to_owned)),
            content_type: Set("application/pdf".into()),
            content: Set(content),
            sha256: Set(sha),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(row.id)
    }

    pub async fn latest_document(&self, shipment_id: i64, kind: &str) -> Result<Option<document::Model>> {
        Ok(document::Entity::find()
            .filter(document::Column::ShipmentId.eq(shipment_id))
            .filter(document::Column::Kind.eq(kind))
            .order_by_desc(document::Column::Id)
            .one(self.db())
            .await?)
    }

    /// A cached serviceability answer that has not expired at `at`.
    pub async fn cached_rates(&self, key: &RateKey, at: DateTime<Utc>) -> Result<Option<rate_cache::Model>> {
        Ok(self.cached_rates_any_age(key).await?.filter(|r| r.expires_at > at))
    }

    /// The cached answer whatever its age (served, marked stale, when Shiprocket fails).
    pub async fn cached_rates_any_age(&self, key: &RateKey) -> Result<Option<rate_cache::Model>> {
        Ok(rate_cache::Entity::find()
            .filter(rate_cache::Column::PickupPincode.eq(&key.pickup_pincode))
            .filter(rate_cache::Column::DeliveryPincode.eq(&key.delivery_pincode))
            .filter(rate_cache::Column::WeightSlabGrams.eq(key.weight_slab_grams))
            .filter(rate_cache::Column::Cod.eq(key.cod))
            .one(self.db())
            .await?)
    }

    /// Stores (or replaces) the answer for a key.
    pub async fn put_rates(&self, key: &RateKey, response: &str, ttl: std::time::Duration) -> Result<()> {
        let at = now();
        let expires = at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(15));
        rate_cache::Entity::insert(rate_cache::ActiveModel {
            pickup_pincode: Set(key.pickup_pincode.clone()),
            delivery_pincode: Set(key.delivery_pincode.clone()),
            weight_slab_grams: Set(key.weight_slab_grams),
            cod: Set(key.cod),
            response: Set(response.to_owned()),
            fetched_at: Set(at),
            expires_at: Set(expires),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                rate_cache::Column::PickupPincode,
                rate_cache::Column::DeliveryPincode,
                rate_cache::Column::WeightSlabGrams,
                rate_cache::Column::Cod,
            ])
            .update_columns([
                rate_cache::Column::Response,
                rate_cache::Column::FetchedAt,
                rate_cache::Column::ExpiresAt,
            ])
            .to_owned(),
        )
        .exec(self.db())
        .await?;
        Ok(())
    }

    /// Stores a received webhook once per dedupe key (AWB, status, timestamp).
    pub async fn inbox_webhook(&self, dedupe_key: &str, awb: &str, payload: &str) -> Result<Once> {
        let r = webhook_inbox::Entity::insert(webhook_inbox::ActiveModel {
            dedupe_key: Set(dedupe_key.to_owned()),
            awb: Set(awb.to_owned()),
            payload: Set(payload.to_owned()),
            received_at: Set(now()),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([webhook_inbox::Column::DedupeKey])
        .exec(self.db())
        .await?;
        Ok(once(r))
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<webhook_inbox::Model>> {
        Ok(webhook_inbox::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Records the outcome of applying a webhook.
    pub async fn mark_webhook_processed(&self, id: i64, error: Option<&str>) -> Result<()> {
        webhook_inbox::Entity::update_many()
            .col_expr(webhook_inbox::Column::ProcessedAt, Expr::value(Some(now())))
            .col_expr(webhook_inbox::Column::Error, Expr::value(error.map(str::to_owned)))
            .filter(webhook_inbox::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Queues a notification once per (shipment, kind) with its send job, in one transaction:
    /// a retried job finds it already there.
    pub async fn queue_notification(&self, shipment_id: i64, kind: &str, recipient_masked: &str) -> Result<Once> {
        let txn = self.begin_write().await?;
        let once = queue_notification_on(self, &txn, shipment_id, kind, recipient_masked).await?;
        txn.commit().await?;
        Ok(once)
    }

    /// Marks a notification sent (or failed with `error`).
    pub async fn mark_notification(&self, id: i64, error: Option<&str>) -> Result<()> {
        let status = SendStatus::after_send(error);
        let sent_at = (status == SendStatus::Sent).then(now);
        notification::Entity::update_many()
            .col_expr(notification::Column::Status, Expr::value(status.name()))
            .col_expr(notification::Column::SentAt, Expr::value(sent_at))
            .col_expr(notification::Column::Error, Expr::value(error.map(str::to_owned)))
            .filter(notification::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    pub async fn notification(&self, id: i64) -> Result<Option<notification::Model>> {
        Ok(notification::Entity::find_by_id(id).one(self.db()).await?)
    }

    pub async fn notifications(&self, shipment_id: i64) -> Result<Vec<notification::Model>> {
        Ok(notification::Entity::find()
            .filter(notification::Column::ShipmentId.eq(shipment_id))
            .order_by_asc(notification::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Records a customer return request once per channel return id.
    pub async fn request_return(&self, shipment_id: i64, channel_return_id: &str, reason: &str) -> Result<Once> {
        insert_return_request(self.db(), shipment_id, channel_return_id, reason, None).await
    }

    /// Records an NDR decision to send to Shiprocket.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_ndr_action(
        &self,
        shipment_id: i64,
        action: &str,
        comments: &str,
        deferred_date: Option<NaiveDate>,
        new_phone: Option<&str>,
        new_address: Option<&str>,
        requested_by: &str,
    ) -> Result<i64> {
        let row = ndr_action::ActiveModel {
            shipment_id: Set(shipment_id),
            action: Set(action.to_owned()),
            comments: Set(comments.to_owned()),
            deferred_date: Set(deferred_date),
            new_phone: Set(new_phone.map(str::to_owned)),
            new_address: Set(new_address.map(str::to_owned)),
            requested_by: Set(requested_by.to_owned()),
            status: Set(SendStatus::Pending.name().to_owned()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(row.id)
    }

    pub async fn ndr_action(&self, id: i64) -> Result<Option<ndr_action::Model>> {
        Ok(ndr_action::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Records the outcome of sending an NDR decision: sent now, or failed for good with
    /// Shiprocket's `error`.
    pub async fn record_ndr_action_outcome(&self, id: i64, error: Option<&str>) -> Result<()> {
        let mut q = ndr_action::Entity::update_many()
            .col_expr(ndr_action::Column::Status, Expr::value(SendStatus::after_send(error).name()))
            .filter(ndr_action::Column::Id.eq(id));
        q = match error {
            None => q.col_expr(ndr_action::Column::SentAt, Expr::value(Some(now()))),
            Some(e) => q.col_expr(ndr_action::Column::Error, Expr::value(Some(e.to_owned()))),
        };
        q.exec(self.db()).await?;
        Ok(())
    }

    /// Appends to the audit log (who did what to which entity).
    pub async fn audit(
        &self,
        entity: &str,
        entity_id: i64,
        action: &str,
        actor: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        crate::api_queries::insert_audit(self.db(), entity, entity_id, action, actor, &details).await
    }

    pub async fn audit_trail(&self, entity: &str, entity_id: i64) -> Result<Vec<audit_log::Model>> {
        Ok(audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq(entity))
            .filter(audit_log::Column::EntityId.eq(entity_id))
            .order_by_asc(audit_log::Column::Id)
            .all(self.db())
            .await?)
    }
}
