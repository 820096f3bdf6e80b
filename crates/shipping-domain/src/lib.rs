//! Pure shipping logic for shops that ship through Shiprocket. No I/O, no async, no clock: every
//! function here is a plain computation the API and the worker share.
//!
//! - Values that exist only once validated: [`Pincode`], [`Phone`], [`Email`], [`Weight`],
//!   [`Dimensions`], [`Money`], [`ShopOrderId`], [`ChannelOrderId`], [`ShipmentId`],
//!   [`ShiprocketOrderId`], [`Awb`]. Invalid input is a [`DomainError`] naming the field.
//! - The shop's order as a Shiprocket create-order draft: [`ShiprocketOrderDraft::build`].
//! - Package weight and size with defaults: [`Package::for_lines`].
//! - Courier choice with an explanation and a fallback list: [`choose_courier`].
//! - Shiprocket status codes and labels → [`ShipmentState`]: [`from_order_status`],
//!   [`from_shipment_status`], [`from_label`].
//! - Forward-only merging of tracking events: [`merge`] over a [`ShipmentTracking`].
//! - Deadlines per state, needs-attention reasons and the mails a state deserves: [`lifecycle`].
//! - Which shipment actions a state allows, and the NDR decisions: [`actions`].
//! - A cart's value and a courier's rate as a quote: [`pricing`].
//! - Customer returns: [`ReturnState`] (forward-only) and [`read_return_status`]; exchanges
//!   (a return and its replacement parcel): [`exchange`].
//! - Why a sync failed, as a stored class with its sentence for operators: [`SyncErrorClass`];
//!   where a notification or an NDR decision stands: [`SendStatus`].
//!
//! The crate's README has the state-machine picture and the documented choices.

/// Shared impls of a validated text newtype whose inner field is a `String` and which has a
/// `parse(&str) -> Result<Self, DomainError>`.
macro_rules! text_newtype {
    ($t:ident) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $t {
            type Error = $crate::error::DomainError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $t::parse(&s)
            }
        }

        impl TryFrom<&str> for $t {
            type Error = $crate::error::DomainError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $t::parse(s)
            }
        }

        impl std::str::FromStr for $t {
            type Err = $crate::error::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $t::parse(s)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}

/// Splits a plain decimal number, `"499"` or `"499.50"`, into its whole and fractional digits.
/// `None` for anything else: no sign, exponent, separators, `inf`/`nan`, bare or trailing dot.
pub(crate) fn split_decimal(s: &str) -> Option<(&str, &str)> {
    let (whole, frac) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (s, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    (!whole.is_empty() && digits(whole) && digits(frac)).then_some((whole, frac))
}

pub mod actions;
pub mod contact;
pub mod courier;
pub mod edit;
pub mod error;
pub mod exchange;
pub mod ids;
mod labels;
pub mod lifecycle;
pub mod measure;
pub mod money;
#[cfg(feature = "openapi")]
mod openapi;
pub mod order;
pub mod package;
pub mod pricing;
pub mod returns;
pub mod send_status;
pub mod state;
pub mod status;
pub mod sync_error;

pub use actions::{NdrDecision, ShipmentAction};
pub use contact::{Email, Phone, Pincode};
pub use courier::{CourierChoice, CourierQuote, Preference, choose_courier};
pub use edit::{EditRefused, EditRoute, OrderEdit, changed_fields, edit_route};
pub use error::{AddressField, DomainError, Field, LineField, NoCourier};
pub use exchange::{ReplacementShips, replacement_order};
pub use ids::{Awb, ChannelOrderId, ShipmentId, ShiprocketOrderId, ShopOrderId, channel_order_id};
pub use lifecycle::{
    AttentionReason, MailKind, Missing, OWN_MILESTONES, ReconcileRules, Remedy, SyncStatus, customer_mails,
    milestone_advances, remedy as reconcile_remedy, watch as reconcile_watch,
};
pub use measure::{Dimensions, Weight};
pub use money::Money;
pub use order::{
    Address, Customer, DraftItem, DraftOptions, OrderLine, Payment, PaymentMethod, ShiprocketOrderDraft, ShopOrder,
};
pub use package::{Defaulted, DefaultedField, Package, PackageDefaults};
pub use pricing::{CourierOffer, cart_value, money_from_rupees, quote_of};
pub use returns::{ReturnMail, ReturnReading, ReturnState, read_return_status};
pub use send_status::SendStatus;
pub use state::{
    EventKey, Outcome, ShipmentState, ShipmentTracking, TrackingEvent, Transition, is_terminal, merge,
    needs_tracking_refresh,
};
pub use status::{
    RawStatus, StatusMapping, from_label, from_order_status, from_shipment_status, from_sr_status, order_status_table,
    pick_status, shipment_status_table,
};
pub use sync_error::SyncErrorClass;
