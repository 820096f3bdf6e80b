//! Correcting a stored order: which fields an edit may replace, which it may not, and which way
//! the correction reaches Shiprocket.
//!
//! Editable (an [`OrderEdit`] replaces each of them whole): the customer's e-mail and phone, the
//! billing address, the shipping address (absent: ship to billing), and the item lines, which
//! carry the package's weight and size (per unit; the parcel is computed from them, as on
//! ingest).
//!
//! Not editable: the order id, when it was placed, the payment (method and COD amount), the
//! shipping charges and the gift message. Item lines may be renamed, re-coded, re-weighed,
//! split or merged, but their total net of discounts (`sub_total`) must stay what it was:
//! together with the fixed shipping charges and payment, what the customer paid (or the
//! courier collects) cannot change through an edit.

use crate::error::{DomainError, Field};
use crate::order::{Address, Customer, OrderLine, ShopOrder};
use crate::state::ShipmentState;
use serde::{Deserialize, Serialize};

/// The replacement for an order's editable fields (`PUT /v1/orders/{id}`). Unknown fields are
/// refused, so an attempt to change the payment or the id is an error, not silently ignored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderEdit {
    pub customer: Customer,
    pub billing: Address,
    /// Absent or null: ship to the billing address.
    #[serde(default)]
    pub shipping: Option<Address>,
    pub items: Vec<OrderLine>,
}

impl OrderEdit {
    /// The edit's current values, to fill a form with.
    pub fn of(order: &ShopOrder) -> OrderEdit {
        OrderEdit {
            customer: order.customer.clone(),
            billing: order.billing.clone(),
            shipping: order.shipping.clone(),
            items: order.items.clone(),
        }
    }

    /// `order` with the edit applied. Fails when the items' total differs from the stored one;
    /// the result still has to pass [`crate::ShiprocketOrderDraft::build`] like a new order.
    pub fn apply(&self, order: &ShopOrder) -> Result<ShopOrder, DomainError> {
        let before = crate::pricing::cart_value(&order.items);
        let after = crate::pricing::cart_value(&self.items);
        if let (Some(before), Some(after)) = (before, after)
            && before != after
        {
            return Err(DomainError::invalid(
                Field::Items,
                format!(
                    "come to {after} net of discounts instead of the {before} paid; an edit cannot change what was paid"
                ),
            ));
        }
        Ok(ShopOrder {
            customer: self.customer.clone(),
            billing: self.billing.clone(),
            shipping: self.shipping.clone(),
            items: self.items.clone(),
            ..order.clone()
        })
    }
}

/// The paths of what differs between two versions of an order (`customer.phone`,
/// `shipping.line1`, `items[0].weight`, `items` when lines were added or removed): names only,
/// never values, so they can go into audit rows and logs.
pub fn changed_fields(before: &ShopOrder, after: &ShopOrder) -> Vec<String> {
    let mut out = Vec::new();
    if before.customer.email != after.customer.email {
        out.push("customer.email".to_owned());
    }
    if before.customer.phone != after.customer.phone {
        out.push("customer.phone".to_owned());
    }
    address_changes("billing", Some(&before.billing), Some(&after.billing), &mut out);
    // Absent means "the billing address": compare what the parcel is shipped to.
    let ship_before = before.shipping.as_ref().unwrap_or(&before.billing);
    let ship_after = after.shipping.as_ref().unwrap_or(&after.billing);
    if before.shipping.is_some() || after.shipping.is_some() {
        address_changes("shipping", Some(ship_before), Some(ship_after), &mut out);
    }
    if before.items.len() != after.items.len() {
        out.push("items".to_owned());
    } else {
        for (i, (a, b)) in before.items.iter().zip(&after.items).enumerate() {
            let parts: [(&str, bool); 9] = [
                ("sku", a.sku != b.sku),
                ("name", a.name != b.name),
                ("units", a.units != b.units),
                ("unit_price", a.unit_price != b.unit_price),
                ("discount", a.discount != b.discount),
                ("tax_percent", a.tax_percent.to_bits() != b.tax_percent.to_bits()),
                ("hsn", a.hsn != b.hsn),
                ("weight", a.weight != b.weight),
                ("dimensions", a.dimensions != b.dimensions),
            ];
            out.extend(parts.iter().filter(|(_, changed)| *changed).map(|(p, _)| format!("items[{i}].{p}")));
        }
    }
    out
}

fn address_changes(prefix: &str, a: Option<&Address>, b: Option<&Address>, out: &mut Vec<String>) {
    let (Some(a), Some(b)) = (a, b) else { return };
    let parts: [(&str, bool); 9] = [
        ("first_name", a.first_name != b.first_name),
        ("last_name", a.last_name != b.last_name),
        ("line1", a.line1 != b.line1),
        ("line2", a.line2 != b.line2),
        ("city", a.city != b.city),
        ("state", a.state != b.state),
        ("country", a.country != b.country),
        ("pincode", a.pincode != b.pincode),
        ("phone", a.phone != b.phone),
    ];
    out.extend(parts.iter().filter(|(_, changed)| *changed).map(|(p, _)| format!("{prefix}.{p}")));
}

/// How a correction reaches Shiprocket, from the shipment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditRoute {
    /// No Shiprocket order yet and none being created: the stored order is replaced; the sync
    /// (pending, or started again if it had failed) sends the corrected one.
    BeforeSync { resync: bool },
    /// The Shiprocket order exists, without an AWB: it is updated there.
    UpdateAtShiprocket,
}

/// Why the shipment's state does not allow an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EditRefused {
    #[error("the shipment is cancelled")]
    Cancelled,
    #[error("an AWB is assigned: Shiprocket no longer accepts changes to the order")]
    AwbAssigned,
    #[error("the order is being created at Shiprocket right now; try again in a minute")]
    SyncInProgress,
}

/// The way an edit goes for a shipment in `state`; `sync_in_progress` is true while the worker
/// is creating the Shiprocket order (its outcome is not known yet).
pub fn edit_route(state: ShipmentState, sync_in_progress: bool) -> Result<EditRoute, EditRefused> {
    match state {
        ShipmentState::Cancelled => Err(EditRefused::Cancelled),
        ShipmentState::PendingSync | ShipmentState::SyncFailed if sync_in_progress => Err(EditRefused::SyncInProgress),
        ShipmentState::PendingSync => Ok(EditRoute::BeforeSync { resync: false }),
        ShipmentState::SyncFailed => Ok(EditRoute::BeforeSync { resync: true }),
        ShipmentState::Synced => Ok(EditRoute::UpdateAtShiprocket),
        _ => Err(EditRefused::AwbAssigned),
    }
}
