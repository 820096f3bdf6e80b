//! Reading the shipment a job is about. Every write of a step goes through the store's named
//! lifecycle operations (`shipping_store::steps`), each one transaction with the jobs it
//! promises.

use crate::failure::StoreResultExt;
use crate::queue::JobFailure;
use shipping_domain::ShopOrder;
use shipping_store::entities::{order, shipment};
use shipping_store::{Store, StoreError};

/// Loads a shipment or fails the job permanently (a job for a shipment that does not exist
/// cannot succeed later).
pub async fn load(store: &Store, shipment_id: i64) -> Result<shipment::Model, JobFailure> {
    store
        .shipment(shipment_id)
        .await
        .job()?
        .ok_or_else(|| crate::failure::permanent(format!("shipment {shipment_id} does not exist")))
}

/// The shop's order behind a shipment, as this parcel ships it (an exchange's replacement has
/// its own lines): the order's row and the order. A missing or undecodable order fails the job
/// permanently (a retry cannot bring it back).
pub async fn shop_order(store: &Store, s: &shipment::Model) -> Result<(order::Model, ShopOrder), JobFailure> {
    store.parcel_order(s).await.map_err(|e| match e {
        StoreError::Db(_) => crate::failure::from_store(&e),
        other => crate::failure::permanent(other.to_string()),
    })
}
