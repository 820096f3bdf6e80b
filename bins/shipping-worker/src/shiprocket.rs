//! Translation between our domain types and the client's request types: the only place that
//! knows both.

use shipping_domain::{CourierOffer, CourierQuote, Money, PaymentMethod, ShiprocketOrderDraft, quote_of};
use shiprocket_client::endpoints::orders::{
    OrderItem, OrderPayload, PaymentMethod as ApiPayment, UpdateDeliveryAddress,
};
use shiprocket_client::endpoints::serviceability::CourierOption;

fn rupees(m: Money) -> f64 {
    m.as_rupees_f64()
}

/// The create-order body for a validated draft.
pub fn order_payload(d: &ShiprocketOrderDraft) -> OrderPayload {
    let text = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    OrderPayload {
        order_id: d.order_id.as_str().to_owned(),
        order_date: d.order_date.clone(),
        pickup_location: d.pickup_location.clone(),
        channel_id: None,
        comment: text(&d.comment),
        billing_customer_name: d.billing_customer_name.clone(),
        billing_last_name: text(&d.billing_last_name),
        billing_address: d.billing_address.clone(),
        billing_address_2: text(&d.billing_address_2),
        billing_city: d.billing_city.clone(),
        billing_pincode: d.billing_pincode.as_ref().to_owned(),
        billing_state: d.billing_state.clone(),
        billing_country: d.billing_country.clone(),
        billing_email: d.billing_email.as_ref().to_owned(),
        billing_phone: d.billing_phone.as_ref().to_owned(),
        shipping_is_billing: d.shipping_is_billing,
        shipping_customer_name: d.shipping_customer_name.clone(),
        shipping_last_name: text(&d.shipping_last_name),
        shipping_address: d.shipping_address.clone(),
        shipping_address_2: text(&d.shipping_address_2),
        shipping_city: d.shipping_city.clone(),
        shipping_pincode: d.shipping_pincode.as_ref().map(|p| p.as_ref().to_owned()),
        shipping_country: d.shipping_country.clone(),
        shipping_state: d.shipping_state.clone(),
        shipping_email: None,
        shipping_phone: d.shipping_phone.as_ref().map(|p| p.as_ref().to_owned()),
        order_items: d
            .order_items
            .iter()
            .map(|i| OrderItem {
                name: i.name.clone(),
                sku: i.sku.clone(),
                units: u64::from(i.units),
                selling_price: rupees(i.selling_price),
                discount: Some(rupees(i.discount)).filter(|d| *d > 0.0),
                tax: Some(i.tax).filter(|t| *t > 0.0),
                hsn: i.hsn.clone(),
            })
            .collect(),
        payment_method: match d.payment_method {
            PaymentMethod::Cod => ApiPayment::Cod,
            PaymentMethod::Prepaid => ApiPayment::Prepaid,
        },
        shipping_charges: Some(rupees(d.shipping_charges)).filter(|c| *c > 0.0),
        giftwrap_charges: None,
        transaction_charges: None,
        total_discount: None,
        sub_total: rupees(d.sub_total),
        length: d.package.dimensions.length_cm(),
        breadth: d.package.dimensions.breadth_cm(),
        height: d.package.dimensions.height_cm(),
        weight: d.package.actual_weight.as_kg(),
    }
}

/// A serviceability row as the domain's courier choice sees it (the domain's quote mapping, the
/// same the API's checkout rates use).
pub fn quote(c: &CourierOption) -> CourierQuote {
    let (courier_id, name, rate) = (c.courier_company_id, c.courier_name.as_str(), c.rate);
    quote_of(&CourierOffer {
        courier_id,
        name,
        rate,
        etd_days: c.estimated_delivery_days,
        rating: c.rating,
        cod: c.cod,
    })
}

/// The delivery-address update for a validated draft: the shipping address, or the billing one
/// when the parcel goes there.
pub fn delivery_address(d: &ShiprocketOrderDraft, sr_order_id: u64) -> UpdateDeliveryAddress {
    let text = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let or = |s: &Option<String>, billing: &str| s.clone().unwrap_or_else(|| billing.to_owned());
    if d.shipping_is_billing {
        UpdateDeliveryAddress {
            order_id: sr_order_id,
            shipping_customer_name: d.billing_customer_name.clone(),
            shipping_last_name: text(&d.billing_last_name),
            shipping_phone: d.billing_phone.as_ref().to_owned(),
            shipping_address: d.billing_address.clone(),
            shipping_address_2: text(&d.billing_address_2),
            shipping_city: d.billing_city.clone(),
            shipping_state: d.billing_state.clone(),
            shipping_country: d.billing_country.clone(),
            shipping_pincode: d.billing_pincode.as_ref().to_owned(),
        }
    } else {
        UpdateDeliveryAddress {
            order_id: sr_order_id,
            shipping_customer_name: or(&d.shipping_customer_name, &d.billing_customer_name),
            shipping_last_name: text(&d.shipping_last_name),
            shipping_phone: d
                .shipping_phone
                .as_ref()
                .map_or_else(|| d.billing_phone.as_ref().to_owned(), |p| p.as_ref().to_owned()),
            shipping_address: or(&d.shipping_address, &d.billing_address),
            shipping_address_2: text(&d.shipping_address_2),
            shipping_city: or(&d.shipping_city, &d.billing_city),
            shipping_state: or(&d.shipping_state, &d.billing_state),
            shipping_country: or(&d.shipping_country, &d.billing_country),
            shipping_pincode: d
                .shipping_pincode
                .as_ref()
                .map_or_else(|| d.billing_pincode.as_ref().to_owned(), |p| p.as_ref().to_owned()),
        }
    }
}
