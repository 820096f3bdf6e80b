//! Idempotent order ingest: order, items, shipment and outbox row in one transaction.

use crate::entities::{order, order_item, outbox, shipment};
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
    TryInsertResult,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shipping_domain::{ShipmentState, SyncStatus};

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
    /// The job the outbox promises.
    pub outbox_kind: String,
    /// Its payload (a JSON object); the store adds `order_id` and `shipment_id`.
    pub outbox_payload: Value,
    /// The courier the customer picked at checkout (a quote from `/v1/rates`), if any.
    pub requested_courier_id: Option<i64>,
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

/// `payload` with the ids the job needs added.
fn with_ids(payload: &Value, order_id: i64, shipment_id: i64) -> Value {
    let mut p = payload.clone();
    if let Some(map) = p.as_object_mut() {
        map.insert("order_id".into(), order_id.into());
        map.insert("shipment_id".into(), shipment_id.into());
    }
    p
}

/// Stores an order's lines, on `conn` (the ingest's or an edit's transaction).
pub(crate) async fn insert_items<C: ConnectionTrait>(conn: &C, order_id: i64, items: &[NewOrderItem]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    order_item::Entity::insert_many(items.iter().map(|i| order_item::ActiveModel {
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
    .exec(conn)
    .await?;
    Ok(())
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
    pub async fn ingest_order(&self, new: NewOrder) -> Result<IngestOutcome> {
        self.ingest(new, true).await
    }

    /// The ingest, with or without its `sync_order` outbox row.
    pub(crate) async fn ingest(&self, mut new: NewOrder, with_job: bool) -> Result<IngestOutcome> {
        if with_job && !new.outbox_payload.is_object() {
            return Err(StoreError::Invalid("the outbox payload must be a JSON object".into()));
        }
        // The request's trace continues in the worker (see `jobs::TracedJob`).
        if let (Some(tp), Some(map)) = (crate::jobs::current_traceparent(), new.outbox_payload.as_object_mut()) {
            map.insert("traceparent".into(), tp.into());
        }
        let hash = payload_hash(&new.payload);
        let at = now();
        if self.backend() == DbBackend::Postgres {
            return match self.ingest_in_one_statement(&new, &hash, at, with_job).await? {
                Some(created) => Ok(created),
                None => self.existing_outcome(&new.shop_order_id, &hash).await,
            };
        }
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
        insert_items(&txn, order_id, &new.items).await?;
        let mut row =
            crate::exchanges::pending_shipment(order_id, new.channel_order_id.clone(), new.tracking_token.clone());
        row.requested_courier_id = Set(new.requested_courier_id);
        let shipment_id = shipment::Entity::insert(row).exec(&txn).await?.last_insert_id;
        if with_job {
            outbox::Entity::insert(outbox::ActiveModel {
                kind: Set(new.outbox_kind.clone()),
                payload: Set(with_ids(&new.outbox_payload, order_id, shipment_id).to_string()),
                created_at: Set(at),
                available_at: Set(at),
                locked_until: Set(None),
                dispatched_at: Set(None),
                attempts: Set(0),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(IngestOutcome::Created { order_id, shipment_id })
    }

    /// Postgres: the same inserts as one statement (one round trip, atomic by itself). Returns
    /// `None` when the shop order id already existed.
    async fn ingest_in_one_statement(
        &self,
        new: &NewOrder,
        hash: &str,
        at: DateTime<Utc>,
        with_job: bool,
    ) -> Result<Option<IngestOutcome>> {
        let mut values: Vec<sea_orm::Value> = vec![
            new.shop_order_id.clone().into(),
            hash.to_owned().into(),
            new.payload.to_string().into(),
            new.payment_method.clone().into(),
            new.cod_amount_paise.into(),
            new.total_paise.into(),
            at.into(),
            new.channel_order_id.clone().into(),
            ShipmentState::PendingSync.name().to_owned().into(),
            new.tracking_token.clone().into(),
            new.outbox_kind.clone().into(),
            new.outbox_payload.to_string().into(),
            // $13: whether the outbox row is written (sync may be switched off).
            with_job.into(),
            new.requested_courier_id.into(),
            SyncStatus::Pending.name().to_owned().into(),
        ];
        let mut rows = Vec::new();
        for item in &new.items {
            let n = values.len();
            rows.push(format!(
                "(${}::text, ${}::text, ${}::int, ${}::bigint, ${}::bigint, ${}::float8, ${}::text, ${}::int)",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7,
                n + 8
            ));
            values.extend([
                item.sku.clone().into(),
                item.name.clone().into(),
                item.units.into(),
                item.unit_price_paise.into(),
                item.discount_paise.into(),
                item.tax_percent.into(),
                item.hsn.clone().into(),
                item.weight_grams.into(),
            ]);
        }
        let items = if rows.is_empty() {
            String::new()
        } else {
            format!(
                ", i AS (INSERT INTO order_items (order_id, sku, name, units, unit_price_paise, discount_paise, tax_percent, hsn, weight_grams) \
                 SELECT o.id, v.* FROM o, (VALUES {}) AS v(sku, name, units, unit_price_paise, discount_paise, tax_percent, hsn, weight_grams))",
                rows.join(", ")
            )
        };
        let sql = format!(
            "WITH o AS (INSERT INTO orders (shop_order_id, payload_hash, payload, payment_method, cod_amount_paise, total_paise, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (shop_order_id) DO NOTHING RETURNING id){items}, \
             s AS (INSERT INTO shipments (order_id, channel_order_id, reship_attempt, sync_status, sync_attempts, state, ndr_attempts, tracking_token, version, created_at, updated_at, waiting_since, requested_courier_id) \
               SELECT o.id, $8, 0, $15, 0, $9, 0, $10, 0, $7, $7, $7, $14::bigint FROM o RETURNING id, order_id), \
             x AS (INSERT INTO outbox (kind, payload, created_at, available_at, attempts) \
               SELECT $11, ($12::jsonb || jsonb_build_object('order_id', s.order_id, 'shipment_id', s.id))::text, $7, $7, 0 FROM s WHERE $13::bool) \
             SELECT order_id, id AS shipment_id FROM s"
        );
        let row = self.db().query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
        Ok(match row {
            Some(r) => Some(IngestOutcome::Created {
                order_id: r.try_get("", "order_id")?,
                shipment_id: r.try_get("", "shipment_id")?,
            }),
            None => None,
        })
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
            .order_by_asc(shipment::Column::Id)
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order {shop_order_id} has no shipment")))?;
        Ok(IngestOutcome::Replayed { order_id: existing.id, shipment_id: first_shipment.id })
    }
}
