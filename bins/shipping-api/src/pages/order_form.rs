//! The admin's "Correct the order" form on the shipment page. It posts to
//! `/admin/shipments/{id}/order`, which builds the same JSON body `PUT /v1/orders/{id}` takes,
//! parses it the same way and calls the same [`crate::services::order_edit::edit_order`], so the checks,
//! the job and the audit row are identical. Inputs are named by the API's field paths
//! (`billing.city`, `items[0].weight`), so each error is shown beside its input.

use super::session::Admin;
use super::{FormData, PageResult, esc, see_other};
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiPath, parse_json};
use crate::services::load_shipment as load;
use crate::services::order_edit::{edit_order, route_for};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use shipping_domain::{Address, OrderEdit, ShopOrder};
use std::collections::HashMap;

/// What the form shows: a value per input name, and the errors by field path.
#[derive(Debug, Default)]
pub struct EditFormState {
    pub values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

const ADDRESS_PARTS: [(&str, &str); 9] = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("line1", "Address line 1"),
    ("line2", "Address line 2"),
    ("city", "City"),
    ("state", "State"),
    ("country", "Country"),
    ("pincode", "Pincode"),
    ("phone", "Phone at this address"),
];

fn address_values(prefix: &str, a: &Address, out: &mut HashMap<String, String>) {
    let parts = [
        ("first_name", a.first_name.clone()),
        ("last_name", a.last_name.clone().unwrap_or_default()),
        ("line1", a.line1.clone()),
        ("line2", a.line2.clone().unwrap_or_default()),
        ("city", a.city.clone()),
        ("state", a.state.clone()),
        ("country", a.country.clone()),
        ("pincode", a.pincode.as_str().to_owned()),
        ("phone", a.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default()),
    ];
    for (part, v) in parts {
        out.insert(format!("{prefix}.{part}"), v);
    }
}

fn cm(mm: u32) -> String {
    let (whole, tenth) = (mm / 10, mm % 10);
    if tenth == 0 { whole.to_string() } else { format!("{whole}.{tenth}") }
}

impl EditFormState {
    /// The stored order's current values.
    pub fn of(order: &ShopOrder) -> EditFormState {
        let mut v = HashMap::new();
        v.insert("customer.email".to_owned(), order.customer.email.as_str().to_owned());
        v.insert("customer.phone".to_owned(), order.customer.phone.as_str().to_owned());
        address_values("billing", &order.billing, &mut v);
        if let Some(s) = &order.shipping {
            address_values("shipping", s, &mut v);
        }
        for (i, l) in order.items.iter().enumerate() {
            v.insert(format!("items[{i}].name"), l.name.clone());
            v.insert(format!("items[{i}].sku"), l.sku.clone());
            v.insert(format!("items[{i}].hsn"), l.hsn.clone().unwrap_or_default());
            v.insert(format!("items[{i}].weight"), l.weight.map(|w| w.grams().to_string()).unwrap_or_default());
            let dims =
                l.dimensions.map(|d| format!("{} x {} x {}", cm(d.length_mm()), cm(d.breadth_mm()), cm(d.height_mm())));
            v.insert(format!("items[{i}].dimensions"), dims.unwrap_or_default());
        }
        EditFormState { values: v, errors: Vec::new() }
    }

    /// What was submitted, to show again beside its errors.
    fn submitted(form: &FormData, errors: Vec<FieldError>) -> EditFormState {
        let values = form.0.iter().filter(|(k, _)| k != "csrf").cloned().collect();
        EditFormState { values, errors }
    }

    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }
}

/// `items[0].weight` → `edit-items-0-weight`: ids usable in CSS selectors as they are.
fn input_id(name: &str) -> String {
    let mut id = String::from("edit");
    for part in name.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').filter(|p| !p.is_empty()) {
        id.push('-');
        id.push_str(&part.replace('_', "-"));
    }
    id
}

fn field(state: &EditFormState, name: &str, label: &str, kind: &str) -> String {
    let id = input_id(name);
    let (err, described, invalid) = match state.error(name) {
        Some(m) => (
            format!(" <span class=\"error\" id=\"{id}-error\">{}</span>", esc(m)),
            format!(" aria-describedby=\"{id}-error\""),
            " aria-invalid=\"true\"",
        ),
        None => (String::new(), String::new(), ""),
    };
    format!(
        "<p><label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{name}\" type=\"{kind}\" value=\"{value}\"{described}{invalid}>{err}</p>",
        name = esc(name),
        label = esc(label),
        value = esc(state.value(name)),
    )
}

/// The form, filled with `state`'s values; `order` gives the lines (their amounts are shown,
/// not editable: an edit cannot change what was paid).
pub fn render(shipment_id: i64, order: &ShopOrder, state: &EditFormState, admin: &Admin) -> String {
    let address = |prefix: &str| {
        ADDRESS_PARTS
            .iter()
            .map(|(part, label)| field(state, &format!("{prefix}.{part}"), label, "text"))
            .collect::<String>()
    };
    let items = order
        .items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "<fieldset><legend>Item {n}: {units} × ₹{price}</legend>{name}{sku}{hsn}{weight}{dims}</fieldset>",
                n = i + 1,
                units = l.units,
                price = esc(&l.unit_price.to_string().replace('₹', "")),
                name = field(state, &format!("items[{i}].name"), "Product name", "text"),
                sku = field(state, &format!("items[{i}].sku"), "SKU", "text"),
                hsn = field(state, &format!("items[{i}].hsn"), "HSN code", "text"),
                weight = field(state, &format!("items[{i}].weight"), "Weight per unit (grams)", "text"),
                dims = field(state, &format!("items[{i}].dimensions"), "Size per unit (L x B x H cm)", "text"),
            )
        })
        .collect::<String>();
    // Errors that belong to no single input (the item list as a whole, the body).
    let known = |f: &str| state.values.contains_key(f);
    let general = state
        .errors
        .iter()
        .filter(|e| !known(&e.field))
        .map(|e| format!("<li>{}: {}</li>", esc(&e.field), esc(&e.message)))
        .collect::<String>();
    let general = if general.is_empty() {
        String::new()
    } else {
        format!("<ul class=\"error\" id=\"edit-errors\" role=\"alert\">{general}</ul>")
    };
    format!(
        "<section class=\"card\" id=\"order-edit\"><h2>Correct the order</h2>\
         <p class=\"muted\">Payment, amounts and the order id cannot change. Leave the shipping address empty to ship to the billing address.</p>{general}\
         <form method=\"post\" action=\"/admin/shipments/{shipment_id}/order\">{csrf}\
         <fieldset><legend>Contact</legend>{email}{phone}</fieldset>\
         <fieldset><legend>Billing address</legend>{billing}</fieldset>\
         <fieldset><legend>Shipping address</legend>{shipping}</fieldset>{items}\
         <button type=\"submit\" id=\"edit-save\">Save the corrected order</button></form></section>",
        csrf = admin.csrf_field(),
        email = field(state, "customer.email", "E-mail", "email"),
        phone = field(state, "customer.phone", "Phone", "tel"),
        billing = address("billing"),
        shipping = address("shipping"),
    )
}

/// `"20 x 15 x 10"` (cm, `x` or `×`) as the API's millimetres.
fn dimensions_mm(text: &str) -> Option<Value> {
    let sides: Vec<f64> =
        text.split(['x', 'X', '×']).map(|s| s.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let [l, b, h] = sides.as_slice() else { return None };
    let mm = |cm: f64| (cm.is_finite() && cm > 0.0).then(|| (cm * 10.0).round() as u32);
    Some(json!({"length_mm": mm(*l)?, "breadth_mm": mm(*b)?, "height_mm": mm(*h)?}))
}

/// The form as the API's edit body; the weight and size inputs are checked here because their
/// text form is the page's own.
fn edit_body(form: &FormData, stored: &ShopOrder) -> Result<Value, Vec<FieldError>> {
    let text = |name: &str| form.text(name);
    let address = |prefix: &str| {
        let part = |p: &str| text(&format!("{prefix}.{p}"));
        json!({
            "first_name": part("first_name").unwrap_or_default(),
            "last_name": part("last_name"),
            "line1": part("line1").unwrap_or_default(),
            "line2": part("line2"),
            "city": part("city").unwrap_or_default(),
            "state": part("state").unwrap_or_default(),
            "country": part("country").unwrap_or_else(|| "India".to_owned()),
            "pincode": part("pincode").unwrap_or_default(),
            "phone": part("phone"),
        })
    };
    let ships_to_billing = ADDRESS_PARTS.iter().all(|(p, _)| text(&format!("shipping.{p}")).is_none());
    let mut errors = Vec::new();
    let mut items = Vec::new();
    for (i, line) in stored.items.iter().enumerate() {
        let mut item = serde_json::to_value(line).unwrap_or_default();
        for part in ["name", "sku"] {
            item[part] = json!(text(&format!("items[{i}].{part}")).unwrap_or_default());
        }
        item["hsn"] = json!(text(&format!("items[{i}].hsn")));
        let weight = format!("items[{i}].weight");
        item["weight"] = match text(&weight) {
            None => Value::Null,
            Some(w) => match w.parse::<u32>() {
                Ok(g) => json!(g),
                Err(_) => {
                    errors.push(FieldError { field: weight, message: "must be a whole number of grams".into() });
                    Value::Null
                }
            },
        };
        let dims = format!("items[{i}].dimensions");
        item["dimensions"] = match text(&dims) {
            None => Value::Null,
            Some(d) => dimensions_mm(&d).unwrap_or_else(|| {
                errors.push(FieldError { field: dims, message: "must be three sizes in cm, like 20 x 15 x 10".into() });
                Value::Null
            }),
        };
        items.push(item);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(json!({
        "customer": {"email": text("customer.email").unwrap_or_default(), "phone": text("customer.phone").unwrap_or_default()},
        "billing": address("billing"),
        "shipping": if ships_to_billing { Value::Null } else { address("shipping") },
        "items": items,
    }))
}

/// `POST /admin/shipments/{id}/order`: the corrected order; errors come back on the form.
pub async fn save(State(state): State<AppState>, admin: Admin, ApiPath(id): ApiPath<i64>, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    admin.check_csrf(&form)?;
    let s = load(&state, id).await?;
    route_for(&s)?;
    let order = state
        .store
        .order(s.order_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("shipment {id} has no order")))?;
    let stored: ShopOrder = serde_json::from_str(&order.payload)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored order {} does not decode: {e}", order.id)))?;
    let attempt = match edit_body(&form, &stored) {
        Ok(body) => parse_json::<OrderEdit>(body.to_string().as_bytes()),
        Err(fields) => Err(ApiError::Validation { message: "some fields are invalid".into(), fields }),
    };
    let result = match attempt {
        Ok(edit) => {
            edit_order(&state, &admin.caller().actor, &order.shop_order_id, &edit).await.map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(done) => {
            tracing::info!(shipment_id = id, fields = %done.changed_fields.join(","), actor = %admin.caller().actor, "order corrected from the admin pages");
            Ok(see_other(&format!("/admin/shipments/{id}?edited={}", done.changed_fields.len())))
        }
        Err(ApiError::Validation { fields, message }) => {
            let fields = if fields.is_empty() { vec![FieldError { field: "body".into(), message }] } else { fields };
            let form_state = EditFormState::submitted(&form, fields);
            // 200, as a page the browser shows normally (a 4xx document is a console error);
            // the errors are in it, beside their fields.
            let page = super::detail::page(&state, &admin, id, String::new(), Some(form_state)).await?;
            Ok(page.into_response())
        }
        Err(e) => Err(e.into()),
    }
}
