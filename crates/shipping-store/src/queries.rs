//! Read models the jobs need.

use crate::entities::shipment;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shipping_domain::ShipmentState;
use std::time::Duration;

/// States in which nothing more will happen (no polling).
pub(crate) fn terminal_names() -> Vec<&'static str> {
    [
        ShipmentState::Delivered,
        ShipmentState::RtoDelivered,
        ShipmentState::Cancelled,
        ShipmentState::Lost,
        ShipmentState::Damaged,
        ShipmentState::ReturnDelivered,
    ]
    .iter()
    .map(|s| s.name())
    .collect()
}

impl Store {
    pub async fn shipment(&self, id: i64) -> Result<Option<shipment::Model>> {
        Ok(shipment::Entity::find_by_id(id).one(self.db()).await?)
    }

    pub async fn shipment_by_awb(&self, awb: &str) -> Result<Option<shipment::Model>> {
        Ok(shipment::Entity::find()
            .filter(shipment::Column::Awb.eq(awb))
            .order_by_desc(shipment::Column::Id)
            .one(self.db())
            .await?)
    }

    /// Shipments the periodic refresh should poll: an AWB, not terminal, and neither a webhook
    /// nor a poll within `quiet` (a recent webhook already told us). Oldest news first.
    pub async fn shipments_due_for_refresh(
        &self,
        now: DateTime<Utc>,
        quiet: Duration,
        limit: u64,
    ) -> Result<Vec<shipment::Model>> {
        let since = now - chrono::Duration::from_std(quiet).unwrap_or(chrono::Duration::hours(2));
        let stale =
            |col: shipment::Column| Condition::any().add(Expr::col(col).is_null()).add(Expr::col(col).lt(since));
        Ok(shipment::Entity::find()
            .filter(shipment::Column::Awb.is_not_null())
            .filter(shipment::Column::State.is_not_in(terminal_names()))
            .filter(stale(shipment::Column::LastWebhookAt))
            .filter(stale(shipment::Column::LastPolledAt))
            .order_by_asc(shipment::Column::LastEventAt)
            .order_by_asc(shipment::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Shipments whose sync failed and whose retry time has come; never a cancelled one or one
    /// that waits for a person.
    pub async fn failed_syncs_due(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<shipment::Model>> {
        Ok(shipment::Entity::find()
            .filter(shipment::Column::SyncStatus.eq(shipping_domain::SyncStatus::Failed.name()))
            .filter(shipment::Column::CancelRequestedAt.is_null())
            .filter(shipment::Column::AttentionReason.is_null())
            .filter(
                Condition::any().add(shipment::Column::NextSyncAt.is_null()).add(shipment::Column::NextSyncAt.lte(now)),
            )
            .order_by_asc(shipment::Column::NextSyncAt)
            .order_by_asc(shipment::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }
}
