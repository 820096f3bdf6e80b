//! Reading the shipment a job is about. Every write of a step goes through the store's named
//! lifecycle operations (`shipping_store::steps`), each one transaction with the jobs it
//! promises.

use crate::failure::StoreResultExt;
use crate::queue::JobFailure;
use shipping_store::Store;
use shipping_store::entities::shipment;

/// Loads a shipment or fails the job permanently (a job for a shipment that does not exist
/// cannot succeed later).
pub async fn load(store: &Store, shipment_id: i64) -> Result<shipment::Model, JobFailure> {
    store
        .shipment(shipment_id)
        .await
        .job()?
        .ok_or_else(|| crate::failure::permanent(format!("shipment {shipment_id} does not exist")))
}
