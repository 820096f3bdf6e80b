//! Admin sessions: created at sign-in, looked up on every admin request, deleted at sign-out
//! or once expired.

use crate::entities::admin_session;
use crate::{Result, Store, now};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

impl Store {
    /// Stores a session under `id` (the token's digest); expired sessions are swept at the same
    /// time, so the table never grows with abandoned sign-ins.
    pub async fn create_admin_session(
        &self,
        id: &str,
        username: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        admin_session::Entity::delete_many()
            .filter(admin_session::Column::ExpiresAt.lte(now()))
            .exec(self.db())
            .await?;
        admin_session::ActiveModel {
            id: Set(id.to_owned()),
            username: Set(username.to_owned()),
            csrf_token: Set(csrf_token.to_owned()),
            created_at: Set(now()),
            expires_at: Set(expires_at),
        }
        .insert(self.db())
        .await?;
        Ok(())
    }

    /// The session with this id if it has not expired at `at`.
    pub async fn admin_session(&self, id: &str, at: DateTime<Utc>) -> Result<Option<admin_session::Model>> {
        Ok(admin_session::Entity::find_by_id(id.to_owned())
            .filter(admin_session::Column::ExpiresAt.gt(at))
            .one(self.db())
            .await?)
    }

    pub async fn delete_admin_session(&self, id: &str) -> Result<()> {
        admin_session::Entity::delete_by_id(id.to_owned()).exec(self.db()).await?;
        Ok(())
    }
}
