//! The shipment actions as operators and the API see them: the job each promises and the
//! labels the pages show. Which state allows which action is the domain's rule
//! ([`shipping_domain::ShipmentAction::allows`]).

use super::{ServiceError, ServiceResult};
use shipping_store::entities::shipment;
use shipping_store::steps::{state_of, sync_status_of};

pub use shipping_domain::ShipmentAction as Action;

/// The one-shipment buttons of the shipment page, in their order (assign-awb, return and
/// ndr-action have forms of their own).
pub const BUTTONS: [Action; 6] =
    [Action::Sync, Action::Label, Action::Pickup, Action::Manifest, Action::RefreshTracking, Action::Cancel];

/// The bulk actions offered on the shipment list, in their order.
pub const BULK_OFFERED: [Action; 6] =
    [Action::Sync, Action::AssignAwb, Action::Label, Action::Pickup, Action::RefreshTracking, Action::Cancel];

/// What the API and the pages need to know of an action beyond the domain's rule.
pub trait ActionCatalogue: Sized {
    /// The kind of job the action promises (a bulk action's dead jobs are of this kind).
    fn job_kind(self) -> &'static str;
    /// The label of its button on the shipment page.
    fn label(self) -> &'static str;
    /// The label of the bulk action on the list, when the list offers it.
    fn bulk_label(self) -> Option<&'static str>;
    /// The action a path segment names; not found otherwise.
    fn parse(path: &str) -> ServiceResult<Self>;
    /// Whether the shipment's state allows the action; the error says why not.
    fn check(self, s: &shipment::Model) -> Result<(), String>;
}

impl ActionCatalogue for Action {
    fn job_kind(self) -> &'static str {
        match self {
            Action::Sync => "sync_order",
            Action::AssignAwb => "assign_awb",
            Action::Label => "generate_label",
            Action::Pickup => "schedule_pickup",
            Action::Manifest => "generate_manifest",
            Action::Cancel => "cancel_shipment",
            Action::RefreshTracking => "refresh_tracking",
            Action::Return => "create_return",
            Action::NdrAction => "ndr_action",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Action::Sync => "Sync to Shiprocket",
            Action::AssignAwb => "Create shipment",
            Action::Label => "Generate label",
            Action::Pickup => "Schedule pickup",
            Action::Manifest => "Generate manifest",
            Action::Cancel => "Cancel shipment",
            Action::RefreshTracking => "Refresh tracking",
            Action::Return => "Request return",
            Action::NdrAction => "Answer the NDR",
        }
    }

    fn bulk_label(self) -> Option<&'static str> {
        match self {
            Action::Sync => Some("Sync to Shiprocket"),
            Action::AssignAwb => Some("Create shipment (assign courier and AWB)"),
            Action::Label => Some("Generate labels"),
            Action::Pickup => Some("Schedule pickup"),
            Action::RefreshTracking => Some("Refresh tracking"),
            Action::Cancel => Some("Cancel"),
            Action::Manifest | Action::Return | Action::NdrAction => None,
        }
    }

    fn parse(path: &str) -> ServiceResult<Action> {
        Action::from_path(path).ok_or_else(|| ServiceError::NotFound(format!("no shipment action {path:?}")))
    }

    fn check(self, s: &shipment::Model) -> Result<(), String> {
        let unknown = |_| format!("shipment {} has an unknown state", s.id);
        let state = state_of(s).map_err(unknown)?;
        let sync = sync_status_of(s).map_err(unknown)?;
        if self.allows(state, sync) {
            Ok(())
        } else {
            Err(format!("{} is not possible while shipment {} is {}", self.path(), s.id, s.state))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_offer_what_the_catalogue_labels() {
        for a in BULK_OFFERED {
            assert!(a.bulk_label().is_some() && a.has_bulk_form(), "{a:?}");
        }
        let offered = Action::ALL.into_iter().filter(|a| a.bulk_label().is_some()).count();
        assert_eq!(offered, BULK_OFFERED.len());
    }
}
