//! What a person may ask of a shipment, and when: the shipment actions and the state (and sync
//! status) each one needs, and the three decisions a non-delivery report takes.
//!
//! | action | allowed while |
//! |---|---|
//! | `sync` | `pending_sync` or `sync_failed`, and the sync status is not `synced` |
//! | `assign-awb` | `synced` |
//! | `label` | `awb_assigned`, `label_ready` or `pickup_scheduled` |
//! | `pickup` | `awb_assigned` or `label_ready` |
//! | `manifest` | `pickup_scheduled` |
//! | `cancel` | any state before pickup (`pending_sync` … `pickup_scheduled`) |
//! | `refresh-tracking` | the state implies an AWB and is not terminal |
//! | `return` | `delivered` |
//! | `ndr-action` | `ndr` |

use crate::lifecycle::SyncStatus;
use crate::state::ShipmentState;

/// A shipment action, named by its path segment (`POST /v1/shipments/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShipmentAction {
    /// Create the Shiprocket order (when automatic sync is off, or to retry a failed sync).
    Sync,
    AssignAwb,
    Label,
    Pickup,
    Manifest,
    Cancel,
    RefreshTracking,
    Return,
    NdrAction,
}

impl ShipmentAction {
    pub const ALL: [ShipmentAction; 9] = [
        ShipmentAction::Sync,
        ShipmentAction::AssignAwb,
        ShipmentAction::Label,
        ShipmentAction::Pickup,
        ShipmentAction::Manifest,
        ShipmentAction::Cancel,
        ShipmentAction::RefreshTracking,
        ShipmentAction::Return,
        ShipmentAction::NdrAction,
    ];

    /// The path segment, also the name in audit rows, metrics and forms.
    pub fn path(self) -> &'static str {
        match self {
            ShipmentAction::Sync => "sync",
            ShipmentAction::AssignAwb => "assign-awb",
            ShipmentAction::Label => "label",
            ShipmentAction::Pickup => "pickup",
            ShipmentAction::Manifest => "manifest",
            ShipmentAction::Cancel => "cancel",
            ShipmentAction::RefreshTracking => "refresh-tracking",
            ShipmentAction::Return => "return",
            ShipmentAction::NdrAction => "ndr-action",
        }
    }

    /// The action [`ShipmentAction::path`] names.
    pub fn from_path(path: &str) -> Option<ShipmentAction> {
        ShipmentAction::ALL.into_iter().find(|a| a.path() == path)
    }

    /// Whether a shipment in `state` with sync status `sync` allows the action.
    pub fn allows(self, state: ShipmentState, sync: SyncStatus) -> bool {
        use ShipmentState as S;
        match self {
            ShipmentAction::Sync => matches!(state, S::PendingSync | S::SyncFailed) && sync != SyncStatus::Synced,
            ShipmentAction::AssignAwb => state == S::Synced,
            ShipmentAction::Label => matches!(state, S::AwbAssigned | S::LabelReady | S::PickupScheduled),
            ShipmentAction::Pickup => matches!(state, S::AwbAssigned | S::LabelReady),
            ShipmentAction::Manifest => state == S::PickupScheduled,
            ShipmentAction::Cancel => matches!(
                state,
                S::PendingSync | S::SyncFailed | S::Synced | S::AwbAssigned | S::LabelReady | S::PickupScheduled
            ),
            ShipmentAction::RefreshTracking => state.has_awb() && !state.is_terminal(),
            ShipmentAction::Return => state == S::Delivered,
            ShipmentAction::NdrAction => matches!(state, S::Ndr { .. }),
        }
    }

    /// Returns and NDR decisions need per-shipment details: they have no bulk form.
    pub fn has_bulk_form(self) -> bool {
        !matches!(self, ShipmentAction::Return | ShipmentAction::NdrAction)
    }

    /// In bulk, the action is one job for every accepted shipment rather than one job each.
    pub fn is_batched(self) -> bool {
        matches!(self, ShipmentAction::Manifest | ShipmentAction::RefreshTracking)
    }
}

/// What the shop tells the courier after a failed delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdrDecision {
    /// Try again, optionally on a later date or with a corrected phone or address.
    ReAttempt,
    /// Give up and send the parcel back (RTO).
    Return,
    /// The courier claimed an attempt that did not happen.
    FakeAttempt,
}

impl NdrDecision {
    pub const ALL: [NdrDecision; 3] = [NdrDecision::ReAttempt, NdrDecision::Return, NdrDecision::FakeAttempt];

    /// Shiprocket's name for it (`re-attempt`, `return`, `fake-attempt`).
    pub fn name(self) -> &'static str {
        match self {
            NdrDecision::ReAttempt => "re-attempt",
            NdrDecision::Return => "return",
            NdrDecision::FakeAttempt => "fake-attempt",
        }
    }

    pub fn from_name(name: &str) -> Option<NdrDecision> {
        NdrDecision::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Only a re-attempt takes a new date, phone or address.
    pub fn takes_corrections(self) -> bool {
        self == NdrDecision::ReAttempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(action: ShipmentAction, sync: SyncStatus) -> Vec<&'static str> {
        ShipmentState::ALL.into_iter().filter(|s| action.allows(*s, sync)).map(ShipmentState::name).collect()
    }

    #[test]
    fn the_action_matrix_per_state() {
        use ShipmentAction as A;
        let pending = SyncStatus::Pending;
        assert_eq!(allowed(A::Sync, pending), ["pending_sync", "sync_failed"]);
        assert_eq!(allowed(A::AssignAwb, pending), ["synced"]);
        assert_eq!(allowed(A::Label, pending), ["awb_assigned", "label_ready", "pickup_scheduled"]);
        assert_eq!(allowed(A::Pickup, pending), ["awb_assigned", "label_ready"]);
        assert_eq!(allowed(A::Manifest, pending), ["pickup_scheduled"]);
        assert_eq!(
            allowed(A::Cancel, pending),
            ["pending_sync", "sync_failed", "synced", "awb_assigned", "label_ready", "pickup_scheduled"]
        );
        assert_eq!(
            allowed(A::RefreshTracking, pending),
            [
                "awb_assigned",
                "label_ready",
                "pickup_scheduled",
                "picked_up",
                "in_transit",
                "out_for_delivery",
                "ndr",
                "rto_initiated",
                "rto_in_transit",
                "return_requested",
                "return_picked_up"
            ]
        );
        assert_eq!(allowed(A::Return, pending), ["delivered"]);
        assert_eq!(allowed(A::NdrAction, pending), ["ndr"]);
        assert!(A::NdrAction.allows(ShipmentState::Ndr { attempts: 3 }, SyncStatus::Synced));
    }

    #[test]
    fn a_synced_order_is_not_synced_again_whatever_its_state_says() {
        assert!(!ShipmentAction::Sync.allows(ShipmentState::SyncFailed, SyncStatus::Synced));
        assert!(!ShipmentAction::Sync.allows(ShipmentState::PendingSync, SyncStatus::Synced));
        for sync in [SyncStatus::Pending, SyncStatus::InProgress, SyncStatus::Failed] {
            assert!(ShipmentAction::Sync.allows(ShipmentState::SyncFailed, sync));
        }
        // Only sync looks at the sync status.
        for action in ShipmentAction::ALL.into_iter().filter(|a| *a != ShipmentAction::Sync) {
            for state in ShipmentState::ALL {
                let answers: Vec<bool> = SyncStatus::ALL.into_iter().map(|s| action.allows(state, s)).collect();
                assert!(answers.iter().all(|a| *a == answers[0]), "{action:?} in {state:?}");
            }
        }
    }

    #[test]
    fn paths_and_ndr_names_round_trip() {
        for a in ShipmentAction::ALL {
            assert_eq!(ShipmentAction::from_path(a.path()), Some(a));
        }
        assert_eq!(ShipmentAction::from_path("ship"), None);
        for d in NdrDecision::ALL {
            assert_eq!(NdrDecision::from_name(d.name()), Some(d));
        }
        assert_eq!(NdrDecision::from_name("reattempt"), None);
        assert!(NdrDecision::ReAttempt.takes_corrections());
        assert!(!NdrDecision::Return.takes_corrections());
        let bulk: Vec<_> = ShipmentAction::ALL.into_iter().filter(|a| !a.has_bulk_form()).collect();
        assert_eq!(bulk, [ShipmentAction::Return, ShipmentAction::NdrAction]);
    }
}
