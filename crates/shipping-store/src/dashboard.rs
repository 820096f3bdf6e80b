//! What the operators' dashboard and shipment pages read: counts of what needs attention, the
//! latest tracking updates, courier performance, and the state of a set of shipments while a
//! bulk action runs. Aggregates run in the database (one round trip each), so the dashboard
//! costs the same with 100 or 100,000 shipments in the window.

use crate::entities::{dead_job, document, ndr_action, shipment, tracking_event};
use crate::typed::sql_names;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement};
use shipping_domain::ShipmentState;

/// States in which a shipment is on its way (synced, not finished, not returning).
pub const ACTIVE_STATES: [ShipmentState; 8] = [
    ShipmentState::Synced,
    ShipmentState::AwbAssigned,
    ShipmentState::LabelReady,
    ShipmentState::PickupScheduled,
    ShipmentState::PickedUp,
    ShipmentState::InTransit,
    ShipmentState::OutForDelivery,
    ShipmentState::Ndr { attempts: 0 },
];

/// Returns to origin still under way.
pub const RTO_STATES: [ShipmentState; 2] = [ShipmentState::RtoInitiated, ShipmentState::RtoInTransit];

/// Every return to origin, under way or done (a courier's RTO rate counts them all).
const ALL_RTO_STATES: &[ShipmentState] =
    &[ShipmentState::RtoInitiated, ShipmentState::RtoInTransit, ShipmentState::RtoDelivered];

/// The dashboard's named counters, beside the per-state counts in one statement's rows.
const NDR_WAITING: &str = "ndr_waiting";
const DEAD_JOBS: &str = "dead_jobs";
const OUTBOX_BACKLOG: &str = "outbox_backlog";
const NEEDS_ATTENTION: &str = "needs_attention";

/// The dashboard's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromQueryResult)]
pub struct DashboardCounts {
    /// Waiting for their Shiprocket order (`pending_sync`).
    pub pending_syncs: i64,
    /// See [`ACTIVE_STATES`].
    pub active_shipments: i64,
    /// Sync failed and needs a person (`sync_failed`).
    pub failed_syncs: i64,
    /// In NDR with fewer NDR actions requested than failed attempts: nobody has decided yet.
    pub ndr_waiting: i64,
    /// See [`RTO_STATES`].
    pub rto_in_progress: i64,
    /// Dead jobs not replayed.
    pub dead_jobs: i64,
    /// Outbox rows not yet handed to the queue.
    pub outbox_backlog: i64,
    /// Shipments that wait for a person, whatever the reason.
    pub needs_attention: i64,
}

/// One row of [`Store::dashboard_counts`]' statement: a state's count, or a named counter.
#[derive(Debug, FromQueryResult)]
struct Counted {
    k: String,
    n: i64,
}

impl DashboardCounts {
    fn from_rows(rows: &[Counted]) -> DashboardCounts {
        let mut c = DashboardCounts::default();
        // Named counters, then state names: one row each, and no state is in two groups.
        for &Counted { ref k, n } in rows {
            match k.as_str() {
                NDR_WAITING => c.ndr_waiting = n,
                DEAD_JOBS => c.dead_jobs = n,
                OUTBOX_BACKLOG => c.outbox_backlog = n,
                NEEDS_ATTENTION => c.needs_attention = n,
                name => match ShipmentState::from_name(name, 0) {
                    Some(ShipmentState::PendingSync) => c.pending_syncs = n,
                    Some(ShipmentState::SyncFailed) => c.failed_syncs = n,
                    Some(state) if ACTIVE_STATES.contains(&state) => c.active_shipments += n,
                    Some(state) if RTO_STATES.contains(&state) => c.rto_in_progress += n,
                    _ => {}
                },
            }
        }
        c
    }
}

/// One courier's last 30 days (or whatever window was asked).
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct CourierPerformance {
    pub courier_name: String,
    pub shipments: i64,
    pub delivered: i64,
    /// Delivered by the courier's first delivery estimate (or, without one, within the
    /// configured number of days of the order).
    pub delivered_on_time: i64,
    /// Shipments that went (or are going) back to the seller.
    pub rto: i64,
    /// From pickup to delivery, over delivered shipments.
    pub avg_transit_days: Option<f64>,
}

impl CourierPerformance {
    pub fn on_time_percent(&self) -> Option<f64> {
        (self.delivered > 0).then(|| 100.0 * self.delivered_on_time as f64 / self.delivered as f64)
    }

    pub fn rto_percent(&self) -> Option<f64> {
        (self.shipments > 0).then(|| 100.0 * self.rto as f64 / self.shipments as f64)
    }
}

impl Store {
    /// Every dashboard counter in one statement: shipments counted per state (an index-only
    /// scan of the state index), the NDRs nobody has decided on, dead jobs and the outbox.
    pub async fn dashboard_counts(&self) -> Result<DashboardCounts> {
        let ndr = sql_names(&[ShipmentState::Ndr { attempts: 0 }]);
        let sql = format!(
            "SELECT state AS k, COUNT(*) AS n FROM shipments GROUP BY state \
             UNION ALL SELECT '{NDR_WAITING}', COUNT(*) FROM shipments s \
               LEFT JOIN (SELECT shipment_id, COUNT(*) AS n FROM ndr_actions GROUP BY shipment_id) a \
               ON a.shipment_id = s.id WHERE s.state = {ndr} AND COALESCE(a.n, 0) < s.ndr_attempts \
             UNION ALL SELECT '{DEAD_JOBS}', COUNT(*) FROM dead_jobs WHERE replayed_at IS NULL \
             UNION ALL SELECT '{OUTBOX_BACKLOG}', COUNT(*) FROM outbox WHERE dispatched_at IS NULL \
             UNION ALL SELECT '{NEEDS_ATTENTION}', COUNT(*) FROM shipments WHERE attention_reason IS NOT NULL"
        );
        let rows = Counted::find_by_statement(Statement::from_string(self.backend(), sql)).all(self.db()).await?;
        Ok(DashboardCounts::from_rows(&rows))
    }

    /// The latest tracking events of any shipment, newest first.
    pub async fn recent_tracking_events(&self, limit: u64) -> Result<Vec<tracking_event::Model>> {
        Ok(tracking_event::Entity::find().order_by_desc(tracking_event::Column::Id).limit(limit).all(self.db()).await?)
    }

    /// Per courier, over shipments created since `since`: count, delivered, delivered on time,
    /// RTOs, average transit days (pickup to delivery). On time is by the courier's first
    /// delivery estimate when one was received, else within `on_time_days` of the order. One
    /// pass over the window's shipments: the milestones are columns of the shipment.
    pub async fn courier_performance(
        &self,
        since: DateTime<Utc>,
        on_time_days: u32,
    ) -> Result<Vec<CourierPerformance>> {
        let backend = self.backend();
        // SQLite keeps times as text whose format differs between bound values and stored rows:
        // compare them as Julian days there. Postgres averages the intervals and converts once.
        let (since_cond, on_time, transit) = match backend {
            DbBackend::Postgres => (
                "s.created_at >= $1",
                "s.delivered_at <= COALESCE(s.promised_delivery_at, s.created_at + $2 * interval '1 second')",
                "EXTRACT(EPOCH FROM AVG(s.delivered_at - s.picked_up_at))::float8 / 86400.0",
            ),
            _ => (
                "julianday(s.created_at) >= julianday($1)",
                "julianday(s.delivered_at) <= \
                 COALESCE(julianday(s.promised_delivery_at), julianday(s.created_at) + $2 / 86400.0)",
                "AVG(julianday(s.delivered_at) - julianday(s.picked_up_at))",
            ),
        };
        let rto = sql_names(ALL_RTO_STATES);
        let sql = format!(
            "SELECT s.courier_name AS courier_name, COUNT(*) AS shipments, COUNT(s.delivered_at) AS delivered, \
             SUM(CASE WHEN {on_time} THEN 1 ELSE 0 END) AS delivered_on_time, \
             SUM(CASE WHEN s.state IN ({rto}) THEN 1 ELSE 0 END) AS rto, \
             {transit} AS avg_transit_days \
             FROM shipments s \
             WHERE s.courier_name IS NOT NULL AND {since_cond} \
             GROUP BY s.courier_name ORDER BY shipments DESC, courier_name"
        );
        // SQLite numbers its parameters `?1`, `?2` (they appear out of order in the text).
        let sql = if backend == DbBackend::Postgres { sql } else { sql.replace('$', "?") };
        let seconds = f64::from(on_time_days) * 86_400.0;
        let stmt = Statement::from_sql_and_values(backend, sql, [since.into(), seconds.into()]);
        Ok(CourierPerformance::find_by_statement(stmt).all(self.db()).await?)
    }

    /// The shipments with these ids, by id.
    pub async fn shipments_by_ids(&self, ids: &[i64]) -> Result<Vec<shipment::Model>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        Ok(shipment::Entity::find()
            .filter(shipment::Column::Id.is_in(ids.iter().copied()))
            .order_by_asc(shipment::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Which of these shipments have at least one document of `kind`.
    pub async fn shipments_with_document(&self, ids: &[i64], kind: &str) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<i64> = document::Entity::find()
            .select_only()
            .column(document::Column::ShipmentId)
            .distinct()
            .filter(document::Column::ShipmentId.is_in(ids.iter().copied()))
            .filter(document::Column::Kind.eq(kind))
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows)
    }

    /// A shipment's documents without their content, newest first: (id, kind, created_at).
    pub async fn documents_of(&self, shipment_id: i64) -> Result<Vec<(i64, String, DateTime<Utc>)>> {
        Ok(document::Entity::find()
            .select_only()
            .columns([document::Column::Id, document::Column::Kind, document::Column::CreatedAt])
            .filter(document::Column::ShipmentId.eq(shipment_id))
            .order_by_desc(document::Column::Id)
            .into_tuple()
            .all(self.db())
            .await?)
    }

    pub async fn document(&self, id: i64) -> Result<Option<document::Model>> {
        Ok(document::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// A shipment's NDR actions, newest first.
    pub async fn ndr_actions_of(&self, shipment_id: i64) -> Result<Vec<ndr_action::Model>> {
        Ok(ndr_action::Entity::find()
            .filter(ndr_action::Column::ShipmentId.eq(shipment_id))
            .order_by_desc(ndr_action::Column::Id)
            .all(self.db())
            .await?)
    }

    /// One dead job (replayed or not).
    pub async fn dead_job(&self, id: i64) -> Result<Option<dead_job::Model>> {
        Ok(dead_job::Entity::find_by_id(id).one(self.db()).await?)
    }
}
