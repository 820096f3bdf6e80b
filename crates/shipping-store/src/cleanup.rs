//! Housekeeping: what can go once it has served its purpose.

use crate::entities::{outbox, rate_cache, webhook_inbox};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// How many rows a cleanup removed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub outbox: u64,
    pub webhooks: u64,
    pub rates: u64,
}

impl Store {
    /// Deletes dispatched outbox rows and processed webhooks older than `before`, and cache
    /// entries that expired before `before`. Undispatched and unprocessed rows are never
    /// touched, whatever their age.
    pub async fn cleanup(&self, before: DateTime<Utc>) -> Result<Cleaned> {
        let outbox = outbox::Entity::delete_many()
            .filter(outbox::Column::DispatchedAt.is_not_null())
            .filter(outbox::Column::DispatchedAt.lt(before))
            .exec(self.db())
            .await?
            .rows_affected;
        let webhooks = webhook_inbox::Entity::delete_many()
            .filter(webhook_inbox::Column::ProcessedAt.is_not_null())
            .filter(webhook_inbox::Column::ProcessedAt.lt(before))
            .exec(self.db())
            .await?
            .rows_affected;
        let rates = rate_cache::Entity::delete_many()
            .filter(rate_cache::Column::ExpiresAt.lt(before))
            .exec(self.db())
            .await?
            .rows_affected;
        Ok(Cleaned { outbox, webhooks, rates })
    }
}
