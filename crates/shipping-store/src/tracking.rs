//! Applying tracking events: dedupe and the forward-only merge in one transaction.

use crate::entities::{shipment, tracking_event};
use crate::steps::state_of;
use crate::{Result, Store, StoreError, now};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult,
};
use shipping_domain::{
    Awb, Outcome, RawStatus, ReturnState, ShipmentState, ShipmentTracking, TrackingEvent, customer_mails, merge,
    read_return_status,
};

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    Webhook,
    Poll,
}

impl EventSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventSource::Webhook => "webhook",
            EventSource::Poll => "poll",
        }
    }
}

/// What recording an event did to its shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub shipment_id: i64,
    pub from: ShipmentState,
    pub to: ShipmentState,
    pub outcome: Outcome,
}

impl RecordedEvent {
    pub fn changed(&self) -> bool {
        self.from != self.to
    }
}

pub(crate) fn split(status: &RawStatus) -> (&'static str, Option<i64>, String) {
    match status {
        RawStatus::Shipment(c) => ("shipment", Some(*c), String::new()),
        RawStatus::Order(c) => ("order", Some(*c), String::new()),
        RawStatus::Label(l) => ("label", None, l.clone()),
    }
}

/// A stored event as the shipment's merge reads it: a customer return's scan (`return_id`
/// set) stands for the return step it means, in the shipment's terms (`ReturnState::
/// shipment_status`); a scan that means no such step is left out.
fn shipment_event(row: &tracking_event::Model) -> Result<Option<TrackingEvent>> {
    let event = join(row)?;
    if row.return_id.is_none() {
        return Ok(Some(event));
    }
    Ok(read_return_status(&event.status)
        .step()
        .and_then(ReturnState::shipment_status)
        .map(|status| TrackingEvent::new(event.awb.clone(), status, event.at)))
}

/// The shipment's state as stored.
/// Every event of a shipment as its merge reads them, in the order they were stored.
async fn shipment_events<C: sea_orm::ConnectionTrait>(conn: &C, shipment_id: i64) -> Result<Vec<TrackingEvent>> {
    let rows = tracking_event::Entity::find()
        .filter(tracking_event::Column::ShipmentId.eq(shipment_id))
        .order_by_asc(tracking_event::Column::Id)
        .all(conn)
        .await?;
    Ok(rows.iter().map(shipment_event).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect())
}

/// Replays the shipment's merge over all its events (after a return scan was stored) and saves
/// the state it gives, on `txn`, which holds the shipment's row lock. A return scan is news about
/// the shipment too: its wait restarts like after a forward scan. Returns the state.
pub(crate) async fn remerge_shipment(
    txn: &sea_orm::DatabaseTransaction,
    ship: shipment::Model,
) -> Result<ShipmentState> {
    let from = state_of(&ship)?;
    let mut tracking = ShipmentTracking::replay(&shipment_events(txn, ship.id).await?);
    if from == ShipmentState::SyncFailed {
        tracking.mark_sync_failed();
    }
    let to = tracking.state();
    let version = ship.version;
    let mut active = ship.clone().into_active_model();
    crate::steps::hear_news(&mut active, &ship, from, to);
    active.ndr_attempts = Set(i32::try_from(tracking.ndr_attempts()).unwrap_or(i32::MAX));
    active.picked_up_at = Set(tracking.picked_up_at());
    active.delivered_at = Set(tracking.delivered_at());
    active.version = Set(version + 1);
    active.updated_at = Set(now());
    active.update(txn).await?;
    Ok(to)
}

fn join(row: &tracking_event::Model) -> Result<TrackingEvent> {
    let status = match (row.status_space.as_str(), row.status_code) {
        ("shipment", Some(c)) => RawStatus::Shipment(c),
        ("order", Some(c)) => RawStatus::Order(c),
        ("label", _) => RawStatus::Label(row.status_label.clone()),
        (space, code) => {
            return Err(StoreError::Invalid(format!("tracking event {}: status {space}/{code:?}", row.id)));
        }
    };
    let awb = Awb::parse(&row.awb).ok();
    Ok(TrackingEvent::new(awb, status, row.occurred_at))
}

pub(crate) fn dedupe_key(event: &TrackingEvent) -> String {
    let key = event.key();
    let (space, code, label) = split(&key.status);
    format!(
        "{}|{space}:{}|{}",
        key.awb.as_ref().map(|a| a.as_ref().to_owned()).unwrap_or_default(),
        code.map_or(label, |c| c.to_string()),
        key.at.timestamp_micros()
    )
}

/// One scan as received: the event and what came with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan<'a> {
    pub event: &'a TrackingEvent,
    pub label: &'a str,
    pub location: Option<&'a str>,
    pub activity: Option<&'a str>,
    pub source: EventSource,
}

/// Stores a scan of the shipment (or of its return, `return_id`) once per dedupe key, on
/// `conn`. Returns whether it is new.
pub(crate) async fn insert_event<C: sea_orm::ConnectionTrait>(
    conn: &C,
    shipment_id: i64,
    return_id: Option<i64>,
    scan: &Scan<'_>,
) -> Result<bool> {
    let event = scan.event;
    let awb = event.awb.as_ref().ok_or_else(|| StoreError::Invalid("a tracking event without an AWB".into()))?;
    let (space, code, raw_label) = split(&event.status);
    let inserted = tracking_event::Entity::insert(tracking_event::ActiveModel {
        shipment_id: Set(shipment_id),
        return_id: Set(return_id),
        awb: Set(awb.as_ref().to_owned()),
        dedupe_key: Set(dedupe_key(event)),
        status_space: Set(space.to_owned()),
        status_code: Set(code),
        status_label: Set(if raw_label.is_empty() { scan.label.to_owned() } else { raw_label }),
        occurred_at: Set(event.at),
        location: Set(scan.location.map(str::to_owned)),
        activity: Set(scan.activity.map(str::to_owned)),
        source: Set(scan.source.as_str().to_owned()),
        created_at: Set(now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([tracking_event::Column::DedupeKey])
    .exec(conn)
    .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(_)))
}

impl Store {
    /// Records `event` for the shipment with its AWB: a duplicate (same AWB, status and time)
    /// changes nothing; otherwise the event is stored and the shipment's state becomes the
    /// forward-only merge of all its events, and the customer's mails for a new state are
    /// promised, in the same transaction.
    pub async fn record_tracking_event(
        &self,
        event: &TrackingEvent,
        label: &str,
        location: Option<&str>,
        activity: Option<&str>,
        source: EventSource,
    ) -> Result<RecordedEvent> {
        let awb = event.awb.as_ref().ok_or_else(|| StoreError::Invalid("a tracking event without an AWB".into()))?;
        let txn = self.begin_write().await?;
        // The row lock (Postgres; SQLite's write transaction already excludes every other
        // writer) makes concurrent events of one shipment apply one after the other: without
        // it two workers each merge into the state they read, and the later commit wins even
        // when it is the older state (seen: RTO DELIVERED stored, state left at RTO IN TRANSIT).
        let ship = shipment::Entity::find()
            .filter(shipment::Column::Awb.eq(awb.as_ref()))
            .order_by_desc(shipment::Column::Id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no shipment with AWB {}", awb.as_ref())))?;
        let from = state_of(&ship)?;
        let scan = Scan { event, label, location, activity, source };
        if !insert_event(&txn, ship.id, None, &scan).await? {
            txn.rollback().await?;
            return Ok(RecordedEvent { shipment_id: ship.id, from, to: from, outcome: Outcome::Duplicate });
        }
        // Ordered by id, so the event just inserted is the last one.
        let events = shipment_events(&txn, ship.id).await?;
        let (earlier, latest) = events.split_at(events.len().saturating_sub(1));
        let mut before = ShipmentTracking::replay(earlier);
        if from == ShipmentState::SyncFailed {
            before.mark_sync_failed();
        }
        let transition = match latest.first() {
            Some(e) => merge(before, e),
            None => return Err(StoreError::Invalid("the inserted event is missing".into())),
        };
        let to = transition.tracking.state();
        let last_event_at = transition.tracking.last_event_at();
        let mut active = ship.clone().into_active_model();
        active.ndr_attempts = Set(i32::try_from(transition.tracking.ndr_attempts()).unwrap_or(i32::MAX));
        active.last_event_at = Set(last_event_at.or(ship.last_event_at));
        // Replayed from every event of the shipment, so exact whatever order they arrived in.
        active.picked_up_at = Set(transition.tracking.picked_up_at());
        active.delivered_at = Set(transition.tracking.delivered_at());
        if matches!(transition.outcome, Outcome::Unknown) {
            active.state_raw = Set(Some(format!("{:?}", event.status)));
        }
        if source == EventSource::Webhook {
            active.last_webhook_at = Set(Some(now()));
        }
        crate::steps::hear_news(&mut active, &ship, from, to);
        active.version = Set(ship.version + 1);
        active.updated_at = Set(now());
        active.update(&txn).await?;
        // The customer's mails for the new state, promised with it.
        if from != to {
            for kind in customer_mails(to) {
                crate::steps::queue_mail(self, &txn, &ship, kind).await?;
            }
        }
        txn.commit().await?;
        Ok(RecordedEvent { shipment_id: ship.id, from, to, outcome: transition.outcome })
    }

    /// Records the courier's delivery estimate for the shipment with `awb`: the latest one is
    /// what the customer sees; the first one is kept as the promise on-time is measured against.
    /// Returns whether a shipment was updated.
    pub async fn record_delivery_estimate(&self, awb: &str, estimate: DateTime<Utc>) -> Result<bool> {
        use sea_orm::sea_query::{Expr, Func};
        let updated = shipment::Entity::update_many()
            .col_expr(shipment::Column::ExpectedDeliveryAt, Expr::value(Some(estimate)))
            .col_expr(
                shipment::Column::PromisedDeliveryAt,
                Func::coalesce([Expr::col(shipment::Column::PromisedDeliveryAt), Expr::value(Some(estimate))]).into(),
            )
            .filter(shipment::Column::Awb.eq(awb))
            .exec(self.db())
            .await?;
        Ok(updated.rows_affected > 0)
    }

    /// Every stored event of a shipment's own AWB, oldest first (its timeline).
    pub async fn tracking_events(&self, shipment_id: i64) -> Result<Vec<tracking_event::Model>> {
        Ok(tracking_event::Entity::find()
            .filter(tracking_event::Column::ShipmentId.eq(shipment_id))
            // A return's scans are its own timeline (`Store::return_events`).
            .filter(tracking_event::Column::ReturnId.is_null())
            .order_by_asc(tracking_event::Column::OccurredAt)
            .order_by_asc(tracking_event::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Marks shipments as polled now (the refresh job calls this after a batch).
    pub async fn mark_polled(&self, shipment_ids: &[i64], at: DateTime<Utc>) -> Result<()> {
        use sea_orm::sea_query::Expr;
        shipment::Entity::update_many()
            .col_expr(shipment::Column::LastPolledAt, Expr::value(Some(at)))
            .filter(shipment::Column::Id.is_in(shipment_ids.iter().copied()))
            .exec(self.db())
            .await?;
        Ok(())
    }
}
