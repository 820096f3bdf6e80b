//! Our own milestones on a shipment (synced, AWB, label, pickup, failures). Courier events move
//! shipments through the store's forward-only merge; these only ever move a shipment forward
//! from the states before them, so a late job never undoes what a webhook already said.

use crate::failure::StoreResultExt;
use crate::queue::JobFailure;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shipping_domain::ShipmentState;
use shipping_store::entities::shipment;
use shipping_store::{Store, now};

/// States our own milestones may replace, in order; courier-driven states come after all.
const MILESTONES: [ShipmentState; 6] = [
    ShipmentState::PendingSync,
    ShipmentState::SyncFailed,
    ShipmentState::Synced,
    ShipmentState::AwbAssigned,
    ShipmentState::LabelReady,
    ShipmentState::PickupScheduled,
];

/// Moves `shipment_id` to `to` if it is at an earlier milestone. Returns whether it moved.
pub async fn advance(store: &Store, shipment_id: i64, to: ShipmentState) -> Result<bool, JobFailure> {
    let Some(pos) = MILESTONES.iter().position(|m| *m == to) else { return Ok(false) };
    let earlier: Vec<&str> = MILESTONES[..pos].iter().map(|s| s.name()).collect();
    let r = shipment::Entity::update_many()
        .col_expr(shipment::Column::State, Expr::value(to.name()))
        .col_expr(shipment::Column::UpdatedAt, Expr::value(now()))
        .col_expr(shipment::Column::Version, Expr::col(shipment::Column::Version).add(1))
        .filter(shipment::Column::Id.eq(shipment_id))
        .filter(shipment::Column::State.is_in(earlier))
        .exec(store.db())
        .await
        .job()?;
    Ok(r.rows_affected > 0)
}

/// Loads a shipment or fails the job permanently (a job for a shipment that does not exist
/// cannot succeed later).
pub async fn load(store: &Store, shipment_id: i64) -> Result<shipment::Model, JobFailure> {
    store
        .shipment(shipment_id)
        .await
        .job()?
        .ok_or_else(|| crate::failure::permanent(format!("shipment {shipment_id} does not exist")))
}

/// Applies `f` to the shipment row and saves it.
pub async fn update(
    store: &Store,
    shipment_id: i64,
    f: impl FnOnce(&mut shipment::ActiveModel),
) -> Result<(), JobFailure> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let current = load(store, shipment_id).await?;
    let version = current.version;
    let mut active = current.into_active_model();
    f(&mut active);
    active.version = Set(version + 1);
    active.updated_at = Set(now());
    active.update(store.db()).await.job()?;
    Ok(())
}
