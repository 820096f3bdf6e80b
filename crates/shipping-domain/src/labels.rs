//! Words for operators: how a shipment's state and its sync status read on pages and in
//! e-mails ("Label ready", not `label_ready`). The snake_case names stay for storage and the API.

use crate::lifecycle::SyncStatus;
use crate::state::ShipmentState;

impl ShipmentState {
    /// The state for people (admin pages, operator e-mails).
    pub fn label(self) -> &'static str {
        match self {
            ShipmentState::PendingSync => "Pending sync",
            ShipmentState::SyncFailed => "Sync failed",
            ShipmentState::Synced => "Synced",
            ShipmentState::AwbAssigned => "AWB assigned",
            ShipmentState::LabelReady => "Label ready",
            ShipmentState::PickupScheduled => "Pickup scheduled",
            ShipmentState::PickedUp => "Picked up",
            ShipmentState::InTransit => "In transit",
            ShipmentState::OutForDelivery => "Out for delivery",
            ShipmentState::Ndr { .. } => "Delivery failed (NDR)",
            ShipmentState::Delivered => "Delivered",
            ShipmentState::Cancelled => "Cancelled",
            ShipmentState::RtoInitiated => "RTO initiated",
            ShipmentState::RtoInTransit => "RTO in transit",
            ShipmentState::RtoDelivered => "RTO delivered",
            ShipmentState::Lost => "Lost",
            ShipmentState::Damaged => "Damaged",
            ShipmentState::ReturnRequested => "Return requested",
            ShipmentState::ReturnPickedUp => "Return picked up",
            ShipmentState::ReturnDelivered => "Return delivered",
        }
    }
}

impl SyncStatus {
    /// The sync status for people.
    pub fn label(self) -> &'static str {
        match self {
            SyncStatus::Pending => "Pending",
            SyncStatus::InProgress => "In progress",
            SyncStatus::Synced => "Synced",
            SyncStatus::Failed => "Failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Distinct, capitalised words without the storage name's underscores.
    fn assert_human(labels: &[&str]) {
        let distinct: HashSet<&&str> = labels.iter().collect();
        assert_eq!(distinct.len(), labels.len(), "{labels:?}");
        for l in labels {
            assert!(l.starts_with(|c: char| c.is_ascii_uppercase()) && !l.contains('_'), "{l:?}");
        }
    }

    #[test]
    fn shipment_states_read_as_words() {
        assert_eq!(ShipmentState::LabelReady.label(), "Label ready");
        assert_eq!(ShipmentState::AwbAssigned.label(), "AWB assigned");
        assert_eq!(ShipmentState::OutForDelivery.label(), "Out for delivery");
        assert_eq!(ShipmentState::Ndr { attempts: 2 }.label(), ShipmentState::Ndr { attempts: 0 }.label());
        assert_human(&ShipmentState::ALL.map(ShipmentState::label));
    }

    #[test]
    fn sync_statuses_read_as_words() {
        assert_eq!(SyncStatus::InProgress.label(), "In progress");
        assert_eq!(SyncStatus::Failed.label(), "Failed");
        assert_human(&SyncStatus::ALL.map(SyncStatus::label));
    }
}
