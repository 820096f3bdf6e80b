//! Idempotent order ingest: order, items, shipment and outbox row in one transaction.

use crate::entities::{order, order_item, outbox, shipment};
use crate::{Result, Store, StoreError, now};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TryInsertResult};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A line of a new order, amounts in paise.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrderItem {
    pub sku: String,
    pub name: String,
    pub units: i32,
    pub unit_price_paise: i64,
    pub discount_paise: i64,
    pub tax_percent: f64,
    pub hsn: Option<String>,
    pub weight_grams: Option<i32>,
}

/// An order-paid event, already validated by the domain.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub shop_order_id: String,
    /// The order as received (validated); the replay check compares its hash.
    pub payload: Value,
    /// `prepaid` or `cod`.
    pub payment_method: String,
    pub cod_amount_paise: i64,
    pub total_paise: i64,
    pub items: Vec<NewOrderItem>,
    /// The channel order id for Shiprocket (the shop order id on a first shipment).
    pub channel_order_id: String,
    /// An unguessable token for the customer tracking page.
    pub tracking_token: String,
    /// The job the outbox promises, and its payload given (order id, shipment id).
    pub outbox_kind: String,
}

/// What an ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// A new order, shipment and outbox row.
    Created { order_id: i64, shipment_id: i64 },
    /// The same order with the same content was ingested before: nothing changed.
    Replayed { order_id: i64, shipment_id: i64 },
    /// The same shop order id arrived with different content: nothing changed.
    Conflict { order_id: i64 },
}

/// SHA-256 of the canonical JSON (serde_json's maps are sorted by key).
pub fn payload_hash(payload: &Value) -> String {
    let digest = Sha256::digest(payload.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Ingests an order exactly once, whatever the concurrency: the unique shop order id
    /// decides, inside one transaction with the shipment and the outbox row, so a crash leaves
    /// either everything or nothing.
    pub async fn ingest_order(
        &self,
        new: NewOrder,
        outbox_payload: impl FnOnce(i64, i64) -> Value,
    ) -> Result<IngestOutcome> {
        let hash = payload_hash(&new.payload);
        let at = now();
        let txn = self.begin_write().await?;
        let inserted = order::Entity::insert(order::ActiveModel {
            shop_order_id: Set(new.shop_order_id.clone()),
            payload_hash: Set(hash.clone()),
            payload: Set(new.payload.to_string()),
            payment_method: Set(new.payment_method.clone()),
            cod_amount_paise: Set(new.cod_amount_paise),
            total_paise: Set(new.total_paise),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([order::Column::ShopOrderId])
        .exec(&txn)
        .await?;
        let order_id = match inserted {
            TryInsertResult::Inserted(r) => r.last_insert_id,
            TryInsertResult::Conflicted | TryInsertResult::Empty => {
                txn.rollback().await?;
                return self.existing_outcome(&new.shop_order_id, &hash).await;
            }
        };
        if !new.items.is_empty() {
            order_item::Entity::insert_many(new.items.iter().map(|i| order_item::ActiveModel {
                order_id: Set(order_id),
                sku: Set(i.sku.clone()),
                name: Set(i.name.clone()),
                units: Set(i.units),
                unit_price_paise: Set(i.unit_price_paise),
                discount_paise: Set(i.discount_paise),
                tax_percent: Set(i.tax_percent),
                hsn: Set(i.hsn.clone()),
                weight_grams: Set(i.weight_grams),
                ..Default::default()
            }))
            .exec(&txn)
            .await?;
        }
        let shipment_id = shipment::Entity::insert(shipment::ActiveModel {
            order_id: Set(order_id),
            channel_order_id: Set(new.channel_order_id.clone()),
            reship_attempt: Set(0),
            sync_status: Set("pending".into()),
            sync_error: Set(None),
            sync_attempts: Set(0),
            next_sync_at: Set(None),
            sr_order_id: Set(None),
            sr_shipment_id: Set(None),
            awb: Set(None),
            courier_id: Set(None),
            courier_name: Set(None),
            state: Set(shipping_domain::ShipmentState::PendingSync.name().to_owned()),
            state_raw: Set(None),
            ndr_attempts: Set(0),
            last_event_at: Set(None),
            last_webhook_at: Set(None),
            last_polled_at: Set(None),
            tracking_token: Set(new.tracking_token.clone()),
            version: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        outbox::Entity::insert(outbox::ActiveModel {
            kind: Set(new.outbox_kind.clone()),
            payload: Set(outbox_payload(order_id, shipment_id).to_string()),
            created_at: Set(at),
            available_at: Set(at),
            locked_until: Set(None),
            dispatched_at: Set(None),
            attempts: Set(0),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(IngestOutcome::Created { order_id, shipment_id })
    }

    async fn existing_outcome(&self, shop_order_id: &str, hash: &str) -> Result<IngestOutcome> {
        let existing = order::Entity::find()
            .filter(order::Column::ShopOrderId.eq(shop_order_id))
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order {shop_order_id} vanished during ingest")))?;
        if existing.payload_hash != hash {
            return Ok(IngestOutcome::Conflict { order_id: existing.id });
        }
        let first_shipment = shipment::Entity::find()
            .filter(shipment::Column::OrderId.eq(existing.id))
            .filter(shipment::Column::ReshipAttempt.eq(0))
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order {shop_order_id} has no shipment")))?;
        Ok(IngestOutcome::Replayed { order_id: existing.id, shipment_id: first_shipment.id })
    }
}
