//! Numbers the worker publishes as gauges (dead jobs, tracking freshness). Cheap aggregate
//! queries: they run every few seconds in every worker replica.

use crate::entities::{dead_job, queue_depth, shipment};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

/// How fresh tracking is for shipments still on their way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackingFreshness {
    /// Shipments with an AWB in a non-terminal state.
    pub active: u64,
    /// The oldest "last heard of" among them: the later of the last webhook and the last poll
    /// (the shipment's creation when neither happened yet). `None` without active shipments.
    pub oldest_update: Option<DateTime<Utc>>,
}

impl Store {
    /// Keeps a worker's reading of the queues (`(queue, ready, scheduled)`), replacing the
    /// previous one of each queue. Every replica writes the same shared numbers; the last wins.
    pub async fn record_queue_depths(&self, depths: &[(&str, u64, u64)], at: DateTime<Utc>) -> Result<()> {
        use sea_orm::ActiveValue::Set;
        use sea_orm::sea_query::OnConflict;
        if depths.is_empty() {
            return Ok(());
        }
        let rows = depths.iter().map(|(queue, ready, scheduled)| queue_depth::ActiveModel {
            queue: Set((*queue).to_owned()),
            ready: Set(i64::try_from(*ready).unwrap_or(i64::MAX)),
            scheduled: Set(i64::try_from(*scheduled).unwrap_or(i64::MAX)),
            measured_at: Set(at),
        });
        queue_depth::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(queue_depth::Column::Queue)
                    .update_columns([
                        queue_depth::Column::Ready,
                        queue_depth::Column::Scheduled,
                        queue_depth::Column::MeasuredAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.db())
            .await?;
        Ok(())
    }

    /// The latest reading of each queue, by queue name.
    pub async fn queue_depths(&self) -> Result<Vec<queue_depth::Model>> {
        use sea_orm::QueryOrder;
        Ok(queue_depth::Entity::find().order_by_asc(queue_depth::Column::Queue).all(self.db()).await?)
    }

    /// Dead jobs not replayed yet.
    pub async fn dead_job_count(&self) -> Result<u64> {
        Ok(dead_job::Entity::find().filter(dead_job::Column::ReplayedAt.is_null()).count(self.db()).await?)
    }

    pub async fn tracking_freshness(&self) -> Result<TrackingFreshness> {
        let active = || {
            shipment::Entity::find()
                .filter(shipment::Column::Awb.is_not_null())
                .filter(shipment::Column::State.is_not_in(crate::queries::terminal_names()))
        };
        let count = active().count(self.db()).await?;
        // Portable "greatest of two nullable columns" (SQLite has no GREATEST).
        let last_heard = Expr::cust(
            "MIN(CASE WHEN last_webhook_at IS NULL THEN COALESCE(last_polled_at, created_at) \
             WHEN last_polled_at IS NULL OR last_webhook_at > last_polled_at THEN last_webhook_at \
             ELSE last_polled_at END)",
        );
        let oldest: Option<Option<DateTime<Utc>>> =
            active().select_only().column_as(last_heard, "oldest").into_tuple().one(self.db()).await?;
        Ok(TrackingFreshness { active: count, oldest_update: oldest.flatten() })
    }
}
