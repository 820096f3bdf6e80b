//! Numbers the worker publishes as gauges (dead jobs, tracking freshness). Cheap aggregate
//! queries: they run every few seconds in every worker replica.

use crate::entities::{dead_job, shipment};
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
