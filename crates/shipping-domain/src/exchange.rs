//! Exchanges: a customer return linked to a new forward parcel of the replacement.
//!
//! The replacement is a parcel of the same shop order (its channel order id carries `-X<n>`,
//! see [`crate::ChannelOrderId::for_parcel`]) that ships what the customer gets instead: the
//! lines asked for, or the returned ones again. It is prepaid whatever the order was (the
//! customer paid for the goods once), carries no shipping charge, no gift message and no
//! checkout courier choice. It ships when the return is picked up (the shop holds the goods'
//! value until the courier has the old ones), or at once when the shop prefers speed.
//!
//! Shiprocket's own `orders/create/exchange` books both legs in one call at request time; its
//! body is not in our reference (`../shared/shiprocket/SHIPROCKET_API.md` §7 names it only),
//! and it cannot wait for the pickup. Composing the two documented endpoints (a return, then a
//! forward order) keeps every leg on the exactly-once paths that already exist (ADR 0009).

use crate::error::{DomainError, Field};
use crate::money::Money;
use crate::order::{OrderLine, Payment, ShopOrder};
use crate::returns::ReturnState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// When an exchange's replacement is created.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementShips {
    /// Once the courier has collected the return (a pickup scan or anything later).
    #[default]
    OnPickup,
    /// With the return request.
    AtOnce,
}

impl ReplacementShips {
    pub const ALL: [ReplacementShips; 2] = [ReplacementShips::OnPickup, ReplacementShips::AtOnce];

    /// Stable snake_case name, for storage and configuration.
    pub fn name(self) -> &'static str {
        match self {
            ReplacementShips::OnPickup => "on_pickup",
            ReplacementShips::AtOnce => "at_once",
        }
    }

    /// The value [`ReplacementShips::name`] gave, back.
    pub fn from_name(name: &str) -> Option<ReplacementShips> {
        ReplacementShips::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether a return in `state` should have its replacement by now. A return that failed or
    /// was cancelled before its pickup never gets one on pickup; one picked up and lost later
    /// already has it (created when the pickup was seen).
    pub fn is_due(self, state: ReturnState) -> bool {
        match self {
            ReplacementShips::AtOnce => true,
            ReplacementShips::OnPickup => {
                matches!(state, ReturnState::PickedUp | ReturnState::InTransit | ReturnState::DeliveredToWarehouse)
            }
        }
    }
}

/// The order the replacement parcel ships: `original`'s customer and addresses with
/// `lines` (the returned lines again when `None`), prepaid, no shipping charge, no gift
/// message, no checkout courier. Fails when `lines` is given empty.
pub fn replacement_order(
    original: &ShopOrder,
    lines: Option<&[OrderLine]>,
    placed_at: DateTime<Utc>,
) -> Result<ShopOrder, DomainError> {
    let items = match lines {
        Some([]) => return Err(DomainError::invalid(Field::Items, "an exchange needs at least one line")),
        Some(lines) => lines.to_vec(),
        None => original.items.clone(),
    };
    Ok(ShopOrder {
        placed_at,
        items,
        payment: Payment::Prepaid,
        gift_message: None,
        shipping_charges: Money::ZERO,
        courier_id: None,
        ..original.clone()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_replacement_ships_on_pickup_unless_asked_at_once() {
        use ReturnState as R;
        let due: Vec<_> = R::ALL.into_iter().filter(|s| ReplacementShips::OnPickup.is_due(*s)).collect();
        assert_eq!(due, [R::PickedUp, R::InTransit, R::DeliveredToWarehouse]);
        assert!(R::ALL.into_iter().all(|s| ReplacementShips::AtOnce.is_due(s)));
        for s in ReplacementShips::ALL {
            assert_eq!(ReplacementShips::from_name(s.name()), Some(s));
        }
        assert_eq!(ReplacementShips::default(), ReplacementShips::OnPickup);
    }
}
