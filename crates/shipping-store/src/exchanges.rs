//! Exchanges: a return that names a replacement, and the replacement's own shipment.
//!
//! The replacement is a shipment of the same order with its own parcel (`parcel_payload`: the
//! order as it ships, see `shipping_domain::replacement_order`) and its own channel order id
//! (`-X<n>`). It is created in the transaction that makes it due — the return request
//! (`at_once`) or the return's first scan at or past its pickup (`on_pickup`) — together with
//! its `sync_order` job; from there it is a shipment like any other. A return has at most one
//! replacement (a unique column), however often its pickup is reported.

use crate::entities::{order, return_request, shipment};
use crate::jobs::{Job, SyncOrderV1};
use crate::{Result, Store, StoreError, now};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use shipping_domain::{
    AttentionReason, ChannelOrderId, OrderLine, ReplacementShips, ReturnState, ShipmentState, ShopOrder, ShopOrderId,
    SyncStatus, replacement_order,
};

/// What a return request asks for besides the return.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeRequest {
    /// The lines the customer gets instead; `None`: the returned lines again.
    pub lines: Option<Vec<OrderLine>>,
    pub ships: ReplacementShips,
}

/// An exchange as a return row records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub lines: Vec<OrderLine>,
    pub ships: ReplacementShips,
    pub replacement_shipment_id: Option<i64>,
}

/// The exchange a return row records, if it is one.
pub fn exchange_of(row: &return_request::Model) -> Result<Option<Exchange>> {
    let Some(lines) = &row.exchange_lines else {
        return Ok(None);
    };
    let bad = |what: String| StoreError::Invalid(format!("return {}: {what}", row.id));
    let lines: Vec<OrderLine> =
        serde_json::from_str(lines).map_err(|e| bad(format!("exchange lines do not decode: {e}")))?;
    let ships = row
        .replacement_ships
        .as_deref()
        .map_or(Some(ReplacementShips::default()), ReplacementShips::from_name)
        .ok_or_else(|| bad(format!("unknown replacement timing {:?}", row.replacement_ships)))?;
    Ok(Some(Exchange { lines, ships, replacement_shipment_id: row.replacement_shipment_id }))
}

/// A shipment's parcel: (exchange number, re-ship attempt), what its channel order id and its
/// Shiprocket draft are built from.
pub fn parcel_of(s: &shipment::Model) -> (u32, u32) {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    (n(s.exchange_number), n(s.reship_attempt))
}

/// A new shipment row of `order_id` in its first state: nothing at Shiprocket yet.
pub(crate) fn pending_shipment(
    order_id: i64,
    channel_order_id: String,
    tracking_token: String,
) -> shipment::ActiveModel {
    let at = now();
    let mut row = shipment::ActiveModel {
        order_id: Set(order_id),
        channel_order_id: Set(channel_order_id),
        reship_attempt: Set(0),
        sync_attempts: Set(0),
        ndr_attempts: Set(0),
        tracking_token: Set(tracking_token),
        waiting_since: Set(Some(at)),
        reconcile_attempts: Set(0),
        failed_syncs: Set(0),
        exchange_number: Set(0),
        version: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    crate::typed::set_sync_status(&mut row, SyncStatus::Pending);
    crate::typed::set_state(&mut row, ShipmentState::PendingSync);
    row
}

/// A fresh customer tracking token: 256 random bits as 64 hex characters.
pub fn new_tracking_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Decodes the order a parcel ships.
pub(crate) fn decode_order(payload: &str, what: &str) -> Result<ShopOrder> {
    serde_json::from_str(payload).map_err(|e| StoreError::Invalid(format!("{what} does not decode: {e}")))
}

/// Creates `row`'s replacement shipment with its `sync_order` job on `txn`, once: nothing when
/// the return is no exchange or already has its replacement. `row` and the returned shipment
/// `original` are locked by the caller. When the replacement cannot be built (the order's id is
/// too long for another suffix, say) the return keeps the reason and the original shipment
/// needs attention: the scan that made it due is still recorded.
pub(crate) async fn ship_replacement_on(
    store: &Store,
    txn: &DatabaseTransaction,
    row: &return_request::Model,
    original: &shipment::Model,
    actor: &str,
) -> Result<Option<i64>> {
    let Some(exchange) = exchange_of(row)? else {
        return Ok(None);
    };
    if exchange.replacement_shipment_id.is_some() {
        return Ok(None);
    }
    match build_replacement(txn, original, &exchange).await? {
        Ok((shipment, payload)) => {
            let mut new = shipment;
            new.parcel_payload = Set(Some(payload));
            new.replacement_for_return_id = Set(Some(row.id));
            let replacement_id = shipment::Entity::insert(new).exec(txn).await?.last_insert_id;
            let mut r = row.clone().into_active_model();
            r.replacement_shipment_id = Set(Some(replacement_id));
            r.updated_at = Set(now());
            r.update(txn).await?;
            store
                .enqueue(txn, &Job::SyncOrder(SyncOrderV1 { order_id: original.order_id, shipment_id: replacement_id }))
                .await?;
            let details = serde_json::json!({
                "return_id": row.id,
                "replaces": original.id,
                "replacement_shipment_id": replacement_id,
                "ships": exchange.ships.name(),
            });
            for shipment_id in [original.id, replacement_id] {
                crate::api_queries::insert_audit(txn, "shipment", shipment_id, "exchange_replacement", actor, &details)
                    .await?;
            }
            Ok(Some(replacement_id))
        }
        Err(reason) => {
            let message = format!("the exchange's replacement was not created: {reason}");
            let mut r = row.clone().into_active_model();
            r.error = Set(Some(message.clone()));
            r.updated_at = Set(now());
            r.update(txn).await?;
            // Read again: the caller may have saved the shipment in this transaction already.
            let fresh = crate::steps::lock(txn, original.id).await?;
            let mut a = fresh.clone().into_active_model();
            crate::steps::flag_attention(&mut a, AttentionReason::ValidationError, &message);
            a.version = Set(fresh.version + 1);
            a.updated_at = Set(now());
            a.update(txn).await?;
            tracing::warn!(return_id = row.id, shipment_id = original.id, %reason, "exchange replacement not created");
            Ok(None)
        }
    }
}

/// The replacement's row (without its links) and its payload, or why it cannot be built.
async fn build_replacement(
    txn: &DatabaseTransaction,
    original: &shipment::Model,
    exchange: &Exchange,
) -> Result<std::result::Result<(shipment::ActiveModel, String), String>> {
    let (order, returned) = parcel_order_on(txn, original).await?;
    let number = next_exchange_number_on(txn, order.id).await?;
    let built = ShopOrderId::parse(&order.shop_order_id)
        .and_then(|id| ChannelOrderId::for_parcel(&id, number, 0))
        .and_then(|channel| Ok((channel, replacement_order(&returned, Some(&exchange.lines), now())?)));
    let (channel, parcel) = match built {
        Ok(b) => b,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let payload = serde_json::to_string(&parcel).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut new = pending_shipment(order.id, channel.as_str().to_owned(), new_tracking_token());
    new.exchange_number = Set(i32::try_from(number).unwrap_or(i32::MAX));
    Ok(Ok((new, payload)))
}

/// The number the order's next exchange gets: one more than its highest (the order's own
/// parcel is 0).
async fn next_exchange_number_on<C: ConnectionTrait>(conn: &C, order_id: i64) -> Result<u32> {
    let highest = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order_id))
        .order_by_desc(shipment::Column::ExchangeNumber)
        .one(conn)
        .await?
        .map_or(0, |s| s.exchange_number);
    Ok(u32::try_from(highest).unwrap_or(0) + 1)
}

impl Store {
    /// The number order `order_id`'s next exchange would get now (its `-X<n>`), for checking a
    /// request before it is recorded; the replacement itself takes it under the row lock.
    pub async fn next_exchange_number(&self, order_id: i64) -> Result<u32> {
        next_exchange_number_on(self.db(), order_id).await
    }

    /// The order `s` ships, decoded: its own parcel's payload (an exchange's replacement) or
    /// the order's. With the order's row.
    pub async fn parcel_order(&self, s: &shipment::Model) -> Result<(order::Model, ShopOrder)> {
        parcel_order_on(self.db(), s).await
    }

    /// The return an exchange's replacement `s` replaces, if it is one.
    pub async fn replaced_return(&self, s: &shipment::Model) -> Result<Option<return_request::Model>> {
        match s.replacement_for_return_id {
            Some(id) => self.return_request(id).await,
            None => Ok(None),
        }
    }
}

/// [`Store::parcel_order`] on `conn` (a transaction that holds the shipment).
pub(crate) async fn parcel_order_on<C: ConnectionTrait>(
    conn: &C,
    s: &shipment::Model,
) -> Result<(order::Model, ShopOrder)> {
    let row = order::Entity::find_by_id(s.order_id)
        .one(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("order {}", s.order_id)))?;
    let parcel = match &s.parcel_payload {
        Some(p) => decode_order(p, &format!("the parcel of shipment {}", s.id))?,
        None => decode_order(&row.payload, &format!("stored order {}", row.shop_order_id))?,
    };
    Ok((row, parcel))
}

/// Whether a return that moved to `to` has made its exchange's replacement due.
pub(crate) fn replacement_due(row: &return_request::Model, to: ReturnState) -> Result<bool> {
    Ok(exchange_of(row)?.is_some_and(|e| e.replacement_shipment_id.is_none() && e.ships.is_due(to)))
}
