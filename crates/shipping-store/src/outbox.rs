//! The outbox: rows written in the same transaction as the change they promise a job for, and
//! claimed by the relay, which enqueues them and marks them dispatched. A relay that dies
//! mid-batch loses nothing: its lease runs out and another relay claims the rows again.

use crate::entities::outbox;
use crate::{Result, Store, now};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use std::time::Duration;

/// A claimed outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// How many times it has been claimed, this claim included.
    pub attempts: i32,
}

impl Store {
    /// Claims up to `limit` undispatched rows for `lease`. On Postgres concurrent relays skip
    /// each other's rows (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so the
    /// single UPDATE is already exclusive.
    pub async fn claim_outbox(&self, limit: u64, lease: Duration) -> Result<Vec<OutboxMessage>> {
        let at = now();
        let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let mut due = Query::select();
        due.column(outbox::Column::Id)
            .from(outbox::Entity)
            .and_where(Expr::col(outbox::Column::DispatchedAt).is_null())
            .and_where(Expr::col(outbox::Column::AvailableAt).lte(at))
            .and_where(
                Expr::col(outbox::Column::LockedUntil).is_null().or(Expr::col(outbox::Column::LockedUntil).lt(at)),
            )
            .order_by(outbox::Column::Id, sea_orm::sea_query::Order::Asc)
            .limit(limit);
        if self.backend() == DbBackend::Postgres {
            due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let update = Query::update()
            .table(outbox::Entity)
            .value(outbox::Column::LockedUntil, until)
            .value(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .and_where(Expr::col(outbox::Column::Id).in_subquery(due))
            .returning(Query::returning().columns([
                outbox::Column::Id,
                outbox::Column::Kind,
                outbox::Column::Payload,
                outbox::Column::Attempts,
            ]))
            .to_owned();
        let rows = self.db().query_all(&update).await?;
        let mut claimed = rows
            .into_iter()
            .map(|r| {
                Ok(OutboxMessage {
                    id: r.try_get("", "id")?,
                    kind: r.try_get("", "kind")?,
                    payload: r.try_get("", "payload")?,
                    attempts: r.try_get("", "attempts")?,
                })
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// Marks rows as handed to the queue.
    pub async fn mark_dispatched(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        outbox::Entity::update_many()
            .col_expr(outbox::Column::DispatchedAt, Expr::value(now()))
            .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Gives claimed rows back, to be tried again after `delay` (the queue was down).
    pub async fn release_outbox(&self, ids: &[i64], delay: Duration) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let at = now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(5));
        outbox::Entity::update_many()
            .col_expr(outbox::Column::AvailableAt, Expr::value(at))
            .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Rows not yet dispatched (for metrics and tests).
    pub async fn pending_outbox(&self) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_null()).count(self.db()).await?)
    }
}
