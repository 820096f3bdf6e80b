//! The store's boundary for stored names: every state, status and class column is written from
//! a `shipping_domain` type and read back into one here, so no other code writes or compares
//! those names as text. The columns stay text (the schema and the API's views read them), but
//! product code reads them through these accessors.

use crate::entities::{ndr_action, notification, shipment};
use crate::{Result, StoreError};
use sea_orm::ActiveValue::Set;
use shipping_domain::{AttentionReason, SendStatus, ShipmentState, SyncErrorClass, SyncStatus};

/// The shipment's state, typed.
pub fn state_of(s: &shipment::Model) -> Result<ShipmentState> {
    ShipmentState::from_name(&s.state, u32::try_from(s.ndr_attempts).unwrap_or(0))
        .ok_or_else(|| StoreError::Invalid(format!("shipment {} has unknown state {:?}", s.id, s.state)))
}

/// The shipment's sync status, typed.
pub fn sync_status_of(s: &shipment::Model) -> Result<SyncStatus> {
    SyncStatus::from_name(&s.sync_status)
        .ok_or_else(|| StoreError::Invalid(format!("shipment {} has unknown sync status {:?}", s.id, s.sync_status)))
}

/// The shipment's attention reason, typed (`None` while it moves).
pub fn attention_of(s: &shipment::Model) -> Option<AttentionReason> {
    s.attention_reason.as_deref().and_then(AttentionReason::from_code)
}

/// Why the shipment's last sync failed (`None` without a failure, or for a failure recorded
/// before the class was: show [`SyncErrorClass::Other`]'s sentence then).
pub fn sync_error_class_of(s: &shipment::Model) -> Option<SyncErrorClass> {
    s.sync_error_class.as_deref().and_then(SyncErrorClass::from_code)
}

/// Where a notification stands.
pub fn notification_status_of(n: &notification::Model) -> Result<SendStatus> {
    SendStatus::from_name(&n.status)
        .ok_or_else(|| StoreError::Invalid(format!("notification {} has unknown status {:?}", n.id, n.status)))
}

/// Where an NDR decision stands.
pub fn ndr_action_status_of(a: &ndr_action::Model) -> Result<SendStatus> {
    SendStatus::from_name(&a.status)
        .ok_or_else(|| StoreError::Invalid(format!("NDR action {} has unknown status {:?}", a.id, a.status)))
}

pub(crate) fn set_state(a: &mut shipment::ActiveModel, state: ShipmentState) {
    a.state = Set(state.name().to_owned());
}

pub(crate) fn set_sync_status(a: &mut shipment::ActiveModel, status: SyncStatus) {
    a.sync_status = Set(status.name().to_owned());
}

/// Records why the sync failed: Shiprocket's (or our check's) message and its class, together.
pub(crate) fn set_sync_error(a: &mut shipment::ActiveModel, class: SyncErrorClass, message: &str) {
    a.sync_error = Set(Some(message.to_owned()));
    a.sync_error_class = Set(Some(class.code().to_owned()));
}

/// Forgets the last failure's message and class, together.
pub(crate) fn clear_sync_error(a: &mut shipment::ActiveModel) {
    a.sync_error = Set(None);
    a.sync_error_class = Set(None);
}

/// `'a', 'b'`: state names for an SQL text's `IN (...)` (static snake_case names, nothing to
/// escape).
pub(crate) fn sql_names(states: &[ShipmentState]) -> String {
    states.iter().map(|s| format!("'{}'", s.name())).collect::<Vec<_>>().join(", ")
}
