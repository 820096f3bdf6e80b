//! What the HTTP API needs beyond the shared repositories: reads for its routes (orders by the
//! shop's id, shipments by tracking token, a filtered shipment list) and writes that pair a
//! state change with its outbox row in one transaction (webhook inbox + `apply_webhook`,
//! return or NDR request + its job, an action's job + its audit row), plus an ingest that keeps
//! no job for when Shiprocket sync is switched off.

use crate::entities::{audit_log, ndr_action, order, shipment, webhook_inbox};
use crate::exchanges::ExchangeRequest;
use crate::jobs::{ApplyWebhookV1, CreateReturnV1, Job, NdrActionV1};
use crate::{IngestOutcome, NewOrder, Once, Result, Store, StoreError, now};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult,
};
use shipping_domain::{ReplacementShips, SendStatus, ShipmentState, SyncStatus};

/// Shipments by whether they need a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionFilter {
    /// Any reason.
    Any,
    Reason(shipping_domain::AttentionReason),
    /// Only those that need nobody.
    None,
}

/// Filters for [`Store::list_shipments`]; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct ShipmentFilter {
    pub attention: Option<AttentionFilter>,
    pub state: Option<ShipmentState>,
    pub sync_status: Option<SyncStatus>,
    /// Courier name, compared exactly.
    pub courier: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// An AWB, a shop order id or a channel order id, compared exactly.
    pub search: Option<String>,
    /// Keyset pagination: only ids below this one (the list is newest first).
    pub before_id: Option<i64>,
    pub limit: u64,
}

/// A shipment with the shop's order id, for lists and exports.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentRow {
    pub shipment: shipment::Model,
    pub shop_order_id: String,
}

/// An NDR decision to record (see [`Store::request_ndr_action`]).
#[derive(Debug, Clone)]
pub struct NewNdrAction {
    pub shipment_id: i64,
    pub action: String,
    pub comments: String,
    pub deferred_date: Option<NaiveDate>,
    pub new_phone: Option<String>,
    pub new_address: Option<String>,
    pub requested_by: String,
}

pub(crate) async fn insert_audit<C: ConnectionTrait>(
    conn: &C,
    entity: &str,
    entity_id: i64,
    action: &str,
    actor: &str,
    details: &serde_json::Value,
) -> Result<()> {
    audit_log::ActiveModel {
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        action: Set(action.to_owned()),
        actor: Set(actor.to_owned()),
        details: Set(details.to_string()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn order_by_shop_id(&self, shop_order_id: &str) -> Result<Option<order::Model>> {
        Ok(order::Entity::find().filter(order::Column::ShopOrderId.eq(shop_order_id)).one(self.db()).await?)
    }

    pub async fn order(&self, id: i64) -> Result<Option<order::Model>> {
        Ok(order::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// The shipments of an order, oldest first: the order's own parcel, then exchanges'
    /// replacements.
    pub async fn shipments_of_order(&self, order_id: i64) -> Result<Vec<shipment::Model>> {
        Ok(shipment::Entity::find()
            .filter(shipment::Column::OrderId.eq(order_id))
            .order_by_asc(shipment::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Outbox rows not yet handed to the queue (the API's view of queue depth).
    pub async fn outbox_backlog(&self) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(crate::entities::outbox::Entity::find()
            .filter(crate::entities::outbox::Column::DispatchedAt.is_null())
            .count(self.db())
            .await?)
    }

    pub async fn shipment_by_tracking_token(&self, token: &str) -> Result<Option<shipment::Model>> {
        Ok(shipment::Entity::find().filter(shipment::Column::TrackingToken.eq(token)).one(self.db()).await?)
    }

    /// Shipments matching `filter`, newest first, at most `filter.limit`.
    pub async fn list_shipments(&self, filter: &ShipmentFilter) -> Result<Vec<ShipmentRow>> {
        let mut q = shipment::Entity::find();
        if let Some(s) = filter.state {
            q = q.filter(shipment::Column::State.eq(s.name()));
        }
        if let Some(s) = filter.sync_status {
            q = q.filter(shipment::Column::SyncStatus.eq(s.name()));
        }
        if let Some(c) = &filter.courier {
            q = q.filter(shipment::Column::CourierName.eq(c.as_str()));
        }
        q = match filter.attention {
            None => q,
            Some(AttentionFilter::Any) => q.filter(shipment::Column::AttentionReason.is_not_null()),
            Some(AttentionFilter::Reason(r)) => q.filter(shipment::Column::AttentionReason.eq(r.code())),
            Some(AttentionFilter::None) => q.filter(shipment::Column::AttentionReason.is_null()),
        };
        if let Some(from) = filter.created_from {
            q = q.filter(shipment::Column::CreatedAt.gte(from));
        }
        if let Some(to) = filter.created_to {
            q = q.filter(shipment::Column::CreatedAt.lt(to));
        }
        if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let mut any = sea_orm::Condition::any()
                .add(shipment::Column::Awb.eq(term))
                .add(shipment::Column::ChannelOrderId.eq(term));
            if let Some(o) = self.order_by_shop_id(term).await? {
                any = any.add(shipment::Column::OrderId.eq(o.id));
            }
            q = q.filter(any);
        }
        if let Some(before) = filter.before_id {
            q = q.filter(shipment::Column::Id.lt(before));
        }
        let shipments = q.order_by_desc(shipment::Column::Id).limit(filter.limit).all(self.db()).await?;
        let order_ids: Vec<i64> = shipments.iter().map(|s| s.order_id).collect();
        let orders: std::collections::HashMap<i64, String> = if order_ids.is_empty() {
            Default::default()
        } else {
            order::Entity::find()
                .filter(order::Column::Id.is_in(order_ids))
                .all(self.db())
                .await?
                .into_iter()
                .map(|o| (o.id, o.shop_order_id))
                .collect()
        };
        Ok(shipments
            .into_iter()
            .map(|s| ShipmentRow { shop_order_id: orders.get(&s.order_id).cloned().unwrap_or_default(), shipment: s })
            .collect())
    }

    /// Stores a received webhook once per dedupe key and, when it is new, promises its
    /// `apply_webhook` job in the same transaction: a crash leaves both or neither.
    pub async fn inbox_webhook_and_enqueue(&self, dedupe_key: &str, awb: &str, payload: &str) -> Result<Once> {
        let txn = self.begin_write().await?;
        let inserted = webhook_inbox::Entity::insert(webhook_inbox::ActiveModel {
            dedupe_key: Set(dedupe_key.to_owned()),
            awb: Set(awb.to_owned()),
            payload: Set(payload.to_owned()),
            received_at: Set(now()),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([webhook_inbox::Column::DedupeKey])
        .exec(&txn)
        .await?;
        let inbox_id = match inserted {
            TryInsertResult::Inserted(r) => r.last_insert_id,
            TryInsertResult::Conflicted | TryInsertResult::Empty => {
                txn.rollback().await?;
                return Ok(Once::AlreadyThere);
            }
        };
        self.enqueue(&txn, &Job::ApplyWebhook(ApplyWebhookV1 { inbox_id })).await?;
        txn.commit().await?;
        Ok(Once::New(inbox_id))
    }

    /// Promises `job` and records who asked for it, in one transaction. Returns the outbox id.
    pub async fn enqueue_action(
        &self,
        job: &Job,
        shipment_id: i64,
        actor: &str,
        details: serde_json::Value,
    ) -> Result<i64> {
        let txn = self.begin_write().await?;
        let id = self.enqueue(&txn, job).await?;
        insert_audit(&txn, "shipment", shipment_id, job.kind(), actor, &details).await?;
        // A person acted: the shipment moves again (and is flagged again if the step fails).
        shipment::Entity::update_many()
            .col_expr(shipment::Column::AttentionReason, sea_orm::sea_query::Expr::value(Option::<String>::None))
            .col_expr(shipment::Column::AttentionMessage, sea_orm::sea_query::Expr::value(Option::<String>::None))
            .col_expr(shipment::Column::AttentionSince, sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(shipment::Column::ReconcileAttempts, sea_orm::sea_query::Expr::value(0))
            .col_expr(shipment::Column::WaitingSince, sea_orm::sea_query::Expr::value(Some(now())))
            .filter(shipment::Column::Id.eq(shipment_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Records a return request once per channel return id and, when new, promises its
    /// `create_return` job in the same transaction. An exchange records its replacement lines
    /// (the returned parcel's lines when none are named); one that ships at once gets its
    /// replacement shipment and that one's `sync_order` in the same transaction too.
    pub async fn request_return_and_enqueue(
        &self,
        shipment_id: i64,
        channel_return_id: &str,
        reason: &str,
        exchange: Option<&ExchangeRequest>,
        actor: &str,
    ) -> Result<Once> {
        let txn = self.begin_write().await?;
        let original = crate::steps::lock(&txn, shipment_id).await?;
        let exchange = match exchange {
            Some(e) => {
                let lines = match &e.lines {
                    Some(lines) => lines.clone(),
                    None => crate::exchanges::parcel_order_on(&txn, &original).await?.1.items,
                };
                Some((lines, e.ships))
            }
            None => None,
        };
        let Once::New(return_id) = crate::records::insert_return_request(
            &txn,
            shipment_id,
            channel_return_id,
            reason,
            exchange.as_ref().map(|(lines, ships)| (lines.as_slice(), *ships)),
        )
        .await?
        else {
            txn.rollback().await?;
            return Ok(Once::AlreadyThere);
        };
        self.enqueue(&txn, &Job::CreateReturn(CreateReturnV1 { return_id })).await?;
        insert_audit(
            &txn,
            "shipment",
            shipment_id,
            "create_return",
            actor,
            &serde_json::json!({
                "return_id": return_id,
                "channel_return_id": channel_return_id,
                "exchange": exchange.as_ref().map(|(lines, ships)| serde_json::json!({
                    "skus": lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>(),
                    "ships": ships.name(),
                })),
            }),
        )
        .await?;
        if exchange.as_ref().is_some_and(|(_, ships)| *ships == ReplacementShips::AtOnce) {
            let row = crate::entities::return_request::Entity::find_by_id(return_id)
                .one(&txn)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("return {return_id}")))?;
            crate::exchanges::ship_replacement_on(self, &txn, &row, &original, actor).await?;
        }
        txn.commit().await?;
        Ok(Once::New(return_id))
    }

    /// Records an NDR decision and promises its `ndr_action` job in the same transaction.
    /// Returns the NDR action id.
    pub async fn request_ndr_action_and_enqueue(&self, new: &NewNdrAction) -> Result<i64> {
        let txn = self.begin_write().await?;
        let row = ndr_action::ActiveModel {
            shipment_id: Set(new.shipment_id),
            action: Set(new.action.clone()),
            comments: Set(new.comments.clone()),
            deferred_date: Set(new.deferred_date),
            new_phone: Set(new.new_phone.clone()),
            new_address: Set(new.new_address.clone()),
            requested_by: Set(new.requested_by.clone()),
            status: Set(SendStatus::Pending.name().to_owned()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        self.enqueue(&txn, &Job::NdrAction(NdrActionV1 { ndr_action_id: row.id })).await?;
        insert_audit(
            &txn,
            "shipment",
            new.shipment_id,
            "ndr_action",
            &new.requested_by,
            &serde_json::json!({"ndr_action_id": row.id, "action": new.action}),
        )
        .await?;
        txn.commit().await?;
        Ok(row.id)
    }

    /// Like [`Store::ingest_order`] (same idempotency: unique shop order id, payload hash),
    /// but writes no outbox row: for when Shiprocket sync is switched off or automatic sync
    /// is disabled. `new.outbox_kind`/`outbox_payload` are ignored. The order waits in
    /// `pending_sync` until an operator asks for the sync.
    pub async fn ingest_order_without_job(&self, new: NewOrder) -> Result<IngestOutcome> {
        self.ingest(new, false).await
    }
}
