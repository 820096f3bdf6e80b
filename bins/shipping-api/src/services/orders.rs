//! What orders need on both sides: their lines as the store keeps them, the Shiprocket draft
//! options an order is validated with, and the customer's tracking links.

use super::{ServiceError, ServiceResult};
use crate::state::AppState;
use shipping_domain::{DraftOptions, PackageDefaults, ShopOrder};
use shipping_store::NewOrderItem;

/// `v` as a stored integer; too large otherwise.
pub fn to_i64(v: u64, field: &str) -> ServiceResult<i64> {
    i64::try_from(v).map_err(|_| ServiceError::field(field, "is too large"))
}

/// The order's lines as the store keeps them.
pub fn order_items(order: &ShopOrder) -> ServiceResult<Vec<NewOrderItem>> {
    order
        .items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(NewOrderItem {
                sku: l.sku.clone(),
                name: l.name.clone(),
                units: i32::try_from(l.units)
                    .map_err(|_| ServiceError::field(format!("items[{i}].units"), "is too large"))?,
                unit_price_paise: to_i64(l.unit_price.paise(), &format!("items[{i}].unit_price"))?,
                discount_paise: to_i64(l.discount.paise(), &format!("items[{i}].discount"))?,
                tax_percent: l.tax_percent,
                hsn: l.hsn.clone(),
                weight_grams: l.weight.map(|w| i32::try_from(w.grams()).unwrap_or(i32::MAX)),
            })
        })
        .collect()
}

/// How the API builds the Shiprocket draft to validate an order (new or corrected) before it
/// accepts it: the configured pickup location, the default package sizes.
/// `parcel` is (exchange number, re-ship attempt), see `shipping_store::parcel_of`.
pub fn draft_options(state: &AppState, (exchange, reship_attempt): (u32, u32)) -> DraftOptions {
    DraftOptions {
        pickup_location: state.settings.shiprocket.pickup_location.clone(),
        exchange,
        reship_attempt,
        package_defaults: PackageDefaults::default(),
    }
}

/// The customer's tracking data as JSON.
pub fn tracking_url(state: &AppState, token: &str) -> String {
    format!("{}/v1/track/{token}", state.settings.server.public_base_url.trim_end_matches('/'))
}

/// The customer's tracking page.
pub fn tracking_page_url(state: &AppState, token: &str) -> String {
    format!("{}/track/{token}", state.settings.server.public_base_url.trim_end_matches('/'))
}
