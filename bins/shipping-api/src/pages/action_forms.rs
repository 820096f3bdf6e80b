//! The action forms of the shipment page: a button per simple action, the courier choice of
//! assign-awb (priced by the checkout rates service, so the same cache and the same choice),
//! the return and the NDR forms. Each posts to `/admin/shipments/{id}/action`.

use super::esc;
use super::session::Admin;
use crate::error::ApiError;
use crate::services::catalogue::Action;
use crate::services::rates::{configured_pickup, quote};
use crate::state::AppState;
use shipping_domain::{Package, PackageDefaults, Payment, ShopOrder, cart_value};
use shipping_store::entities::shipment;

fn hidden(action: &str, admin: &Admin) -> String {
    format!("{}<input type=\"hidden\" name=\"action\" value=\"{action}\">", admin.csrf_field())
}

pub fn simple_form(id: i64, action: Action, label: &str, admin: &Admin) -> String {
    format!(
        "<form method=\"post\" action=\"/admin/shipments/{id}/action\" class=\"inline\">{}<button type=\"submit\">{label}</button></form>",
        hidden(action.path(), admin)
    )
}

/// The couriers that serve this shipment, with prices and the recommended one (the checkout
/// rates code, so the same cache and the same choice).
pub async fn courier_form(state: &AppState, s: &shipment::Model, order: &ShopOrder, admin: &Admin) -> String {
    let delivery = order.shipping.as_ref().unwrap_or(&order.billing).pincode.clone();
    let cod = matches!(order.payment, Payment::Cod { .. });
    let package = match Package::for_lines(&order.items, &PackageDefaults::default()) {
        Ok(p) => p,
        Err(_) => return "<p class=\"error\">The order's items cannot be packed; no rates.</p>".into(),
    };
    let Some(value) = cart_value(&order.items) else {
        return "<p class=\"error\">The order's total is out of range; no rates.</p>".into();
    };
    let answer = match configured_pickup(state) {
        Ok(pickup) => quote(state, pickup, delivery, package.chargeable_weight, cod, value).await,
        Err(e) => Err(e),
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            let e = ApiError::from(e);
            return format!("<p class=\"error\">Rates are unavailable: {}</p>", esc(&e.public_message()));
        }
    };
    if answer.couriers.is_empty() {
        let msg = answer.message.unwrap_or_else(|| "No courier serves this pincode.".into());
        return format!("<p class=\"error\">{}</p>", esc(&msg));
    }
    let recommended = answer.recommended.as_ref().map(|r| r.courier_id);
    let options = answer
        .couriers
        .iter()
        .map(|c| {
            let checked = if Some(c.courier_id) == recommended { " checked" } else { "" };
            let badge = if Some(c.courier_id) == recommended { " <strong>recommended</strong>" } else { "" };
            format!(
                "<li><input type=\"radio\" name=\"courier_id\" value=\"{cid}\" id=\"courier-{cid}\"{checked}>\
                 <label for=\"courier-{cid}\">{name} — ₹{rate}, {etd}{cod}{badge}</label></li>",
                cid = c.courier_id,
                name = esc(&c.name),
                rate = esc(&c.rate),
                etd = c.etd_days.map_or("delivery estimate unknown".to_owned(), |d| format!("{d} day(s)")),
                cod = if c.cod_available { ", COD" } else { "" },
            )
        })
        .collect::<String>();
    let reason = answer
        .recommended
        .as_ref()
        .map(|r| format!("<p class=\"reason\">Recommended: {} — {}</p>", esc(&r.name), esc(&r.reason)))
        .unwrap_or_default();
    format!(
        "<form method=\"post\" action=\"/admin/shipments/{id}/action\" class=\"card\">{h}\
         <fieldset><legend>Create shipment: choose a courier</legend>{reason}<ul class=\"couriers\">{options}</ul></fieldset>\
         <button type=\"submit\">Create shipment</button></form>",
        id = s.id,
        h = hidden(Action::AssignAwb.path(), admin),
    )
}

pub fn ndr_form(id: i64, admin: &Admin) -> String {
    format!(
        "<form method=\"post\" action=\"/admin/shipments/{id}/action\" class=\"card\">{h}\
         <fieldset><legend>NDR action</legend>\
         <p><label for=\"ndr-action\">Decision</label><select id=\"ndr-action\" name=\"ndr_action\">\
         <option value=\"re-attempt\">Re-attempt delivery</option><option value=\"return\">Return to us (RTO)</option>\
         <option value=\"fake-attempt\">Report a fake attempt</option></select></p>\
         <p><label for=\"ndr-comments\">Comments for the courier</label><input id=\"ndr-comments\" name=\"comments\" required></p>\
         <p><label for=\"ndr-date\">Re-attempt on</label><input id=\"ndr-date\" name=\"deferred_date\" type=\"date\"></p>\
         <p><label for=\"ndr-phone\">Corrected phone</label><input id=\"ndr-phone\" name=\"phone\" type=\"tel\"></p>\
         <p><label for=\"ndr-address\">Corrected address</label><input id=\"ndr-address\" name=\"address\"></p>\
         </fieldset><button type=\"submit\">Send NDR action</button></form>",
        h = hidden(Action::NdrAction.path(), admin),
    )
}

pub fn return_form(id: i64, admin: &Admin) -> String {
    format!(
        "<form method=\"post\" action=\"/admin/shipments/{id}/action\" class=\"card\">{h}\
         <p><label for=\"return-reason\">Return reason</label><input id=\"return-reason\" name=\"reason\" required></p>\
         <p><label for=\"return-exchange\">Exchange</label><select id=\"return-exchange\" name=\"exchange\">\
         <option value=\"\">No: a refund, nothing ships back</option>\
         <option value=\"on_pickup\">Yes: send the same items again once the courier has the return</option>\
         <option value=\"at_once\">Yes: send the same items again now</option></select></p>\
         <button type=\"submit\">Start return</button></form>",
        h = hidden(Action::Return.path(), admin),
    )
}
