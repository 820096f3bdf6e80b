//! What keeps every shipment either moving or visibly waiting for a person (ADR 0008).
//!
//! - [`AttentionReason`]: why a shipment waits for a person, with the message and the action
//!   that resolves it.
//! - [`ReconcileRules`] and [`remedy`]: each non-terminal state has a deadline; an overdue
//!   shipment gets its missing step re-promised ([`Missing`]) a few times, then needs attention.
//! - [`customer_mails`]: the customer e-mails a change of state deserves.

use crate::state::ShipmentState;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Why a shipment needs a person. Stored by [`AttentionReason::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttentionReason {
    /// No courier serves the lane for this package (pincode, weight, COD).
    NotServiceable,
    /// Couriers were serviceable but each one refused the booking.
    CouriersRefused,
    /// Shiprocket's prepaid wallet cannot pay for the booking.
    WalletTooLow,
    /// Shiprocket refused the order's data, more often than the retry cap allows.
    ValidationError,
    /// A step failed every attempt the queue allowed.
    RetriesExhausted,
    /// A cancel was asked for and Shiprocket has not confirmed it.
    CancelUnconfirmed,
    /// The courier has gone silent for too long: the parcel may be lost.
    Lost,
    /// A step did not happen although the reconciler asked for it again several times.
    Stalled,
}

impl AttentionReason {
    pub const ALL: [AttentionReason; 8] = [
        AttentionReason::NotServiceable,
        AttentionReason::CouriersRefused,
        AttentionReason::WalletTooLow,
        AttentionReason::ValidationError,
        AttentionReason::RetriesExhausted,
        AttentionReason::CancelUnconfirmed,
        AttentionReason::Lost,
        AttentionReason::Stalled,
    ];

    /// Stable snake_case code, for storage, filters, metrics and the API.
    pub fn code(self) -> &'static str {
        match self {
            AttentionReason::NotServiceable => "not_serviceable",
            AttentionReason::CouriersRefused => "couriers_refused",
            AttentionReason::WalletTooLow => "wallet_too_low",
            AttentionReason::ValidationError => "validation_error",
            AttentionReason::RetriesExhausted => "retries_exhausted",
            AttentionReason::CancelUnconfirmed => "cancel_unconfirmed",
            AttentionReason::Lost => "lost",
            AttentionReason::Stalled => "stalled",
        }
    }

    pub fn from_code(code: &str) -> Option<AttentionReason> {
        AttentionReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// A short human label for operators.
    pub fn label(self) -> &'static str {
        match self {
            AttentionReason::NotServiceable => "Not serviceable",
            AttentionReason::CouriersRefused => "Every courier refused",
            AttentionReason::WalletTooLow => "Wallet too low",
            AttentionReason::ValidationError => "Order data refused",
            AttentionReason::RetriesExhausted => "Retries exhausted",
            AttentionReason::CancelUnconfirmed => "Cancel unconfirmed",
            AttentionReason::Lost => "Possibly lost",
            AttentionReason::Stalled => "Stalled",
        }
    }

    /// What resolves it, said to the operator.
    pub fn resolution(self) -> &'static str {
        match self {
            AttentionReason::NotServiceable => {
                "Check the delivery pincode with the customer and correct the order, or cancel it."
            }
            AttentionReason::CouriersRefused => "Assign the AWB with another courier, or cancel the shipment.",
            AttentionReason::WalletTooLow => "Recharge the Shiprocket wallet, then assign the AWB again.",
            AttentionReason::ValidationError => {
                "Correct the order (PUT /v1/orders/{id} or the edit form); it re-syncs once."
            }
            AttentionReason::RetriesExhausted => "Replay the dead job (dead jobs page) or run the step again.",
            AttentionReason::CancelUnconfirmed => "Check the order at Shiprocket, then cancel again.",
            AttentionReason::Lost => "Refresh the tracking; if the courier stays silent, raise a claim with it.",
            AttentionReason::Stalled => "Run the shipment's next step again.",
        }
    }

    /// The shipment action (its path in `/v1/shipments/{id}/{action}`) that resolves it, when
    /// one does (a dead job is replayed from the dead-jobs page instead).
    pub fn resolving_action(self) -> Option<&'static str> {
        match self {
            AttentionReason::NotServiceable | AttentionReason::CancelUnconfirmed => Some("cancel"),
            AttentionReason::CouriersRefused | AttentionReason::WalletTooLow => Some("assign-awb"),
            AttentionReason::ValidationError => Some("sync"),
            AttentionReason::Lost => Some("refresh-tracking"),
            AttentionReason::RetriesExhausted | AttentionReason::Stalled => None,
        }
    }

    /// Reasons that are about silence, cleared by any news from the courier (a reason about
    /// a refusal is cleared only when the shipment moves).
    pub fn cleared_by_news(self) -> bool {
        matches!(self, AttentionReason::Lost | AttentionReason::Stalled)
    }
}

/// A missing step the reconciler can promise again (the job is idempotent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// Create the Shiprocket order.
    Sync,
    /// Book the courier.
    Awb,
    /// Fetch the label and schedule the pickup.
    LabelAndPickup,
    /// Schedule the pickup.
    Pickup,
    /// Ask the courier where the parcel is.
    TrackingPoll,
    /// Cancel at Shiprocket.
    Cancel,
}

/// Deadlines of the non-terminal states, and how often the missing step is promised again
/// before the shipment needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileRules {
    /// Our own steps (pending sync, synced, AWB assigned, label ready): each takes seconds.
    pub step: Duration,
    /// A pickup scheduled and no pickup scan.
    pub pickup: Duration,
    /// With the courier (picked up, in transit, NDR, RTO) and no scan at all.
    pub silent: Duration,
    /// A cancel asked for and not confirmed.
    pub cancel: Duration,
    /// Re-promises before attention.
    pub max_repromises: u32,
}

impl Default for ReconcileRules {
    fn default() -> Self {
        ReconcileRules {
            step: Duration::from_secs(15 * 60),
            pickup: Duration::from_secs(48 * 3600),
            silent: Duration::from_secs(3 * 24 * 3600),
            cancel: Duration::from_secs(30 * 60),
            max_repromises: 3,
        }
    }
}

/// What the reconciler does about an overdue shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Promise the missing step again.
    Promise(Missing),
    /// Stop trying: the shipment needs a person.
    Attention(AttentionReason),
}

/// What a shipment waits for in `state`, if the reconciler watches it there: how long it may
/// wait, and the step that moves it. `cancel_requested` makes the cancel what it waits for;
/// without automatic shipping a synced shipment waits for a person by design.
pub fn watch(
    state: ShipmentState,
    cancel_requested: bool,
    auto_ship: bool,
    rules: &ReconcileRules,
) -> Option<(Duration, Missing)> {
    use ShipmentState as S;
    if state.is_terminal() {
        return None;
    }
    if cancel_requested {
        return Some((rules.cancel, Missing::Cancel));
    }
    match state {
        S::PendingSync => Some((rules.step, Missing::Sync)),
        // The failed-sync cron retries it, capped; then it needs attention.
        S::SyncFailed => None,
        S::Synced if auto_ship => Some((rules.step, Missing::Awb)),
        S::AwbAssigned if auto_ship => Some((rules.step, Missing::LabelAndPickup)),
        S::LabelReady if auto_ship => Some((rules.step, Missing::Pickup)),
        S::Synced | S::AwbAssigned | S::LabelReady => None,
        S::PickupScheduled => Some((rules.pickup, Missing::TrackingPoll)),
        S::PickedUp
        | S::InTransit
        | S::OutForDelivery
        | S::Ndr { .. }
        | S::RtoInitiated
        | S::RtoInTransit
        | S::ReturnRequested
        | S::ReturnPickedUp => Some((rules.silent, Missing::TrackingPoll)),
        S::Delivered | S::Cancelled | S::RtoDelivered | S::Lost | S::Damaged | S::ReturnDelivered => None,
    }
}

/// What to do about a shipment past its deadline, after `repromised` earlier re-promises of
/// the same wait.
pub fn remedy(missing: Missing, repromised: u32, rules: &ReconcileRules) -> Remedy {
    if repromised < rules.max_repromises {
        return Remedy::Promise(missing);
    }
    Remedy::Attention(match missing {
        Missing::Cancel => AttentionReason::CancelUnconfirmed,
        Missing::TrackingPoll => AttentionReason::Lost,
        Missing::Sync | Missing::Awb | Missing::LabelAndPickup | Missing::Pickup => AttentionReason::Stalled,
    })
}

/// A customer e-mail about the shipment, sent once per shipment and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    OrderConfirmed,
    Shipped,
    OutForDelivery,
    Delivered,
    Ndr,
    Cancelled,
    /// To the shop's admin, not the customer.
    AdminSyncFailed,
}

impl MailKind {
    pub const ALL: [MailKind; 7] = [
        MailKind::OrderConfirmed,
        MailKind::Shipped,
        MailKind::OutForDelivery,
        MailKind::Delivered,
        MailKind::Ndr,
        MailKind::Cancelled,
        MailKind::AdminSyncFailed,
    ];

    /// Stable name, stored as the notification's kind.
    pub fn code(self) -> &'static str {
        match self {
            MailKind::OrderConfirmed => "order_confirmed",
            MailKind::Shipped => "shipped",
            MailKind::OutForDelivery => "out_for_delivery",
            MailKind::Delivered => "delivered",
            MailKind::Ndr => "ndr",
            MailKind::Cancelled => "cancelled",
            MailKind::AdminSyncFailed => "admin_sync_failed",
        }
    }

    pub fn from_code(code: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn to_admin(self) -> bool {
        self == MailKind::AdminSyncFailed
    }

    /// Whether the customer still gets this mail once a cancel was asked for: only the
    /// cancellation notice (and admin mails).
    pub fn allowed_after_cancel(self) -> bool {
        matches!(self, MailKind::Cancelled | MailKind::AdminSyncFailed)
    }
}

/// The customer mails a shipment that reached `state` is due. Webhooks are applied
/// concurrently and land out of order: when "out for delivery" is applied before "picked up",
/// the later "picked up" changes nothing, so "shipped" is also due whenever a state past
/// pickup is reached. Each mail is queued once per shipment, whatever the order.
pub fn customer_mails(state: ShipmentState) -> Vec<MailKind> {
    use ShipmentState as S;
    let shipped = matches!(state, S::PickedUp | S::InTransit | S::OutForDelivery | S::Ndr { .. } | S::Delivered);
    let own = match state {
        S::OutForDelivery => Some(MailKind::OutForDelivery),
        S::Delivered => Some(MailKind::Delivered),
        S::Ndr { .. } => Some(MailKind::Ndr),
        S::Cancelled => Some(MailKind::Cancelled),
        _ => None,
    };
    shipped.then_some(MailKind::Shipped).into_iter().chain(own).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in AttentionReason::ALL {
            assert_eq!(AttentionReason::from_code(r.code()), Some(r));
        }
        for k in MailKind::ALL {
            assert_eq!(MailKind::from_code(k.code()), Some(k));
        }
        assert_eq!(AttentionReason::from_code("bored"), None);
    }

    #[test]
    fn every_non_terminal_state_is_watched_or_waits_for_a_person_by_design() {
        let rules = ReconcileRules::default();
        for state in ShipmentState::ALL {
            let watched = watch(state, false, true, &rules);
            assert_eq!(watched.is_none(), state.is_terminal() || state == ShipmentState::SyncFailed, "{state:?}");
            if !state.is_terminal() {
                assert_eq!(watch(state, true, true, &rules), Some((rules.cancel, Missing::Cancel)), "{state:?}");
            }
        }
        assert_eq!(watch(ShipmentState::Synced, false, false, &rules), None, "manual shipping waits for the operator");
        assert_eq!(watch(ShipmentState::Cancelled, true, true, &rules), None, "a confirmed cancel is done");
    }

    #[test]
    fn the_missing_step_is_promised_a_few_times_then_a_person_is_asked() {
        let rules = ReconcileRules { max_repromises: 2, ..ReconcileRules::default() };
        assert_eq!(remedy(Missing::Awb, 0, &rules), Remedy::Promise(Missing::Awb));
        assert_eq!(remedy(Missing::Awb, 1, &rules), Remedy::Promise(Missing::Awb));
        assert_eq!(remedy(Missing::Awb, 2, &rules), Remedy::Attention(AttentionReason::Stalled));
        assert_eq!(remedy(Missing::TrackingPoll, 2, &rules), Remedy::Attention(AttentionReason::Lost));
        assert_eq!(remedy(Missing::Cancel, 5, &rules), Remedy::Attention(AttentionReason::CancelUnconfirmed));
    }

    #[test]
    fn mails_for_a_state() {
        use ShipmentState as S;
        assert_eq!(customer_mails(S::PickedUp), vec![MailKind::Shipped]);
        assert_eq!(customer_mails(S::OutForDelivery), vec![MailKind::Shipped, MailKind::OutForDelivery]);
        assert_eq!(customer_mails(S::Delivered), vec![MailKind::Shipped, MailKind::Delivered]);
        assert_eq!(customer_mails(S::Ndr { attempts: 1 }), vec![MailKind::Shipped, MailKind::Ndr]);
        assert_eq!(customer_mails(S::Cancelled), vec![MailKind::Cancelled]);
        assert!(customer_mails(S::RtoInTransit).is_empty());
        assert!(customer_mails(S::Cancelled).iter().all(|k| k.allowed_after_cancel()));
    }
}

/// Where creating the Shiprocket order stands (the shipment's `sync_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Not tried yet, or promised again.
    Pending,
    /// An attempt started; its outcome may be unknown (look the order up before creating).
    InProgress,
    Synced,
    /// Shiprocket refused the order; the failed-sync cron retries it, capped.
    Failed,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 4] =
        [SyncStatus::Pending, SyncStatus::InProgress, SyncStatus::Synced, SyncStatus::Failed];

    pub fn name(self) -> &'static str {
        match self {
            SyncStatus::Pending => "pending",
            SyncStatus::InProgress => "in_progress",
            SyncStatus::Synced => "synced",
            SyncStatus::Failed => "failed",
        }
    }

    pub fn from_name(name: &str) -> Option<SyncStatus> {
        SyncStatus::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Our own milestones, in order: a job's milestone only ever replaces an earlier one, so a
/// late job never undoes what the courier already said (courier states come after all). They
/// are the lifecycle's first states, up to the pickup we book.
pub const OWN_MILESTONES: &[ShipmentState] = ShipmentState::ALL.split_at(6).0;

/// Whether our milestone `to` may replace the current state `from`.
pub fn milestone_advances(from: ShipmentState, to: ShipmentState) -> bool {
    let pos = |s| OWN_MILESTONES.iter().position(|m| *m == s);
    matches!((pos(from), pos(to)), (Some(f), Some(t)) if f < t)
}

#[cfg(test)]
mod milestone_tests {
    use super::*;

    #[test]
    fn milestones_only_move_forward_and_never_past_the_courier() {
        use ShipmentState as S;
        assert!(milestone_advances(S::PendingSync, S::Synced));
        assert!(milestone_advances(S::AwbAssigned, S::PickupScheduled));
        assert!(!milestone_advances(S::LabelReady, S::AwbAssigned));
        assert!(!milestone_advances(S::InTransit, S::LabelReady), "a late label never undoes a scan");
        assert!(!milestone_advances(S::Cancelled, S::Synced));
        assert!(!milestone_advances(S::PickupScheduled, S::PickedUp), "the pickup scan is the courier's");
        assert_eq!(OWN_MILESTONES.last(), Some(&S::PickupScheduled));
        for s in SyncStatus::ALL {
            assert_eq!(SyncStatus::from_name(s.name()), Some(s));
        }
    }
}
