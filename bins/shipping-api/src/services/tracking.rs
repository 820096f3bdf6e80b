//! What the customer sees of a shipment: found by the tracking link's token, its state in words.

use super::ServiceResult;
use crate::state::AppState;
use shipping_domain::ShipmentState;
use shipping_store::entities::shipment;

/// The shipment of a tracking link's token (the JSON route and the customer page). A token that
/// could not have been issued is not looked up.
pub async fn shipment_by_token(state: &AppState, token: &str) -> ServiceResult<Option<shipment::Model>> {
    if token.len() < 32 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    Ok(state.store.shipment_by_tracking_token(token).await?)
}

/// The shipment's state in the customer's words.
pub fn words(s: &shipment::Model) -> &'static str {
    use ShipmentState as S;
    match shipping_store::steps::state_of(s) {
        Ok(S::PendingSync | S::SyncFailed | S::Synced) => "Order received",
        Ok(S::AwbAssigned | S::LabelReady) => "Packed, waiting for the courier",
        Ok(S::PickupScheduled) => "Pickup scheduled",
        Ok(S::PickedUp) => "Picked up by the courier",
        Ok(S::InTransit) => "In transit",
        Ok(S::OutForDelivery) => "Out for delivery",
        Ok(S::Ndr { .. }) => "Delivery attempt failed; the courier will contact you",
        Ok(S::Delivered) => "Delivered",
        Ok(S::Cancelled) => "Cancelled",
        Ok(S::RtoInitiated | S::RtoInTransit) => "Returning to the seller",
        Ok(S::RtoDelivered) => "Returned to the seller",
        Ok(S::Lost | S::Damaged) => "There is a problem with this shipment; the shop will contact you",
        Ok(S::ReturnRequested) => "Return requested",
        Ok(S::ReturnPickedUp) => "Return picked up",
        Ok(S::ReturnDelivered) => "Return received by the seller",
        Err(_) => "In progress",
    }
}
