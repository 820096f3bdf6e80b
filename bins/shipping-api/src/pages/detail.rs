//! `GET /admin/shipments/{id}`: everything about one shipment, and its actions. The actions go
//! through the same checks and jobs as `POST /v1/shipments/{id}/{action}`.

use super::action_forms::{courier_form, ndr_form, return_form, simple_form};
use super::order_form::{self, EditFormState};
use super::returns::{returns_section, timeline_list};
use super::session::Admin;
use super::{FormData, PageError, PageResult, admin_page, esc, see_other};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::services::actions::{ActionBody, ExchangeBody, perform};
use crate::services::catalogue::{Action, ActionCatalogue, BUTTONS};
use crate::services::order_edit::route_for;
use crate::services::{load_shipment as load, require_enabled};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::Deserialize;
use shipping_domain::{ShipmentState, SyncErrorClass};

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
    /// After a correction: how many fields changed.
    #[serde(default)]
    edited: Option<usize>,
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let done = q
        .done
        .as_deref()
        .and_then(|d| Action::parse(d).ok())
        .map(|a| format!("<p class=\"ok\" role=\"status\">{} requested; the worker will do it shortly.</p>", a.path()))
        .or_else(|| {
            q.edited.map(|n| {
                format!("<p class=\"ok\" role=\"status\" id=\"edited\">Order corrected ({n} field(s) changed).</p>")
            })
        })
        .unwrap_or_default();
    Ok(page(&state, &admin, id, done, None).await?.into_response())
}

/// The shipment page with `notice` on top; `edit` is the correction form's state when it comes
/// back with errors (otherwise the form shows the stored order).
pub async fn page(
    state: &AppState,
    admin: &Admin,
    id: i64,
    notice: String,
    edit: Option<EditFormState>,
) -> PageResult<axum::response::Html<String>> {
    let s = load(state, id).await?;
    let (order, shop_order) = match state.store.parcel_order(&s).await {
        Ok((row, parcel)) => (Some(row), Some(parcel)),
        Err(shipping_store::StoreError::Db(e)) => return Err(ApiError::from(shipping_store::StoreError::Db(e)).into()),
        // Shown without the order rather than not at all.
        Err(_) => (state.store.order(s.order_id).await?, None),
    };
    let replaces = match state.store.replaced_return(&s).await? {
        Some(r) => format!(
            "<p class=\"card\" id=\"replaces\">The replacement of an exchange: return {} of <a href=\"/admin/shipments/{}\">shipment {}</a>.</p>",
            esc(&r.channel_return_id),
            r.shipment_id,
            r.shipment_id
        ),
        None => String::new(),
    };
    let events = state.store.tracking_events(id).await?;
    let docs = state.store.documents_of(id).await?;
    let audit = state.store.audit_trail("shipment", id).await?;
    let ndrs = state.store.ndr_actions_of(id).await?;
    let returns = returns_section(state, id, true).await?;

    let sync_error = s
        .sync_error
        .as_deref()
        .map(|e| {
            format!(
                "<section class=\"card error\"><h2>Sync problem</h2><p>{}</p><details><summary>Shiprocket's words</summary><pre>{}</pre></details></section>",
                // The class the worker stored when Shiprocket refused (rows from before the
                // class column have none: the general sentence).
                esc(shipping_store::sync_error_class_of(&s).unwrap_or(SyncErrorClass::Other).explanation()),
                esc(e)
            )
        })
        .unwrap_or_default();
    let attention = shipping_store::steps::attention_of(&s)
        .map(|r| {
            format!(
                "<section class=\"card error\" id=\"attention\"><h2>Needs attention: {label}</h2><p>{message}</p>\
                 <p><strong>What resolves it:</strong> {resolution}</p><p class=\"muted\">Reason code <code>{code}</code>, since {since}.</p></section>",
                label = r.label(),
                message = esc(s.attention_message.as_deref().unwrap_or("")),
                resolution = esc(r.resolution()),
                code = r.code(),
                since = s.attention_since.map_or_else(|| "?".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            )
        })
        .unwrap_or_default();
    let cancel_note = if s.cancel_requested_at.is_some() && s.state != ShipmentState::Cancelled.name() {
        "<p class=\"card\" role=\"status\">A cancel was asked for; it is being confirmed with Shiprocket. Nothing else will be done for this shipment.</p>"
    } else {
        ""
    };
    let courier_note = s
        .courier_note
        .as_deref()
        .map(|n| format!("<p class=\"muted\" id=\"courier-note\">{}</p>", esc(n)))
        .unwrap_or_default();
    let summary = format!(
        "<dl class=\"facts\"><dt>Order</dt><dd>{order}</dd><dt>Status</dt>{state}<dt>Sync</dt>{sync}\
         <dt>AWB</dt><dd>{awb}</dd><dt>Courier</dt><dd>{courier}</dd><dt>NDR attempts</dt><dd>{ndr}</dd>\
         <dt>Created</dt><dd>{created}</dd><dt>Customer page</dt><dd><a href=\"/track/{token}\">tracking page</a></dd></dl>",
        order = esc(order.as_ref().map_or("", |o| o.shop_order_id.as_str())),
        state = super::state_element("dd", &s),
        sync = super::sync_element("dd", &s),
        awb = esc(s.awb.as_deref().unwrap_or("–")),
        courier = esc(s.courier_name.as_deref().unwrap_or("–")),
        ndr = s.ndr_attempts,
        created = s.created_at.format("%Y-%m-%d %H:%M UTC"),
        token = esc(&s.tracking_token),
    );
    let timeline = timeline_list(&events, "No tracking events yet.");
    let documents = if docs.is_empty() {
        "<p>No documents yet.</p>".to_owned()
    } else {
        let items = docs
            .iter()
            .map(|(doc, kind, at)| {
                format!(
                    "<li><a href=\"/admin/shipments/{id}/documents/{doc}\">{kind}</a> <span class=\"muted\">{}</span></li>",
                    at.format("%Y-%m-%d %H:%M"),
                    kind = esc(kind)
                )
            })
            .collect::<String>();
        format!("<ul>{items}</ul>")
    };
    let label_link = docs
        .iter()
        .find(|(_, kind, _)| kind == "label")
        .map(|(doc, _, _)| {
            format!("<a class=\"button\" href=\"/admin/shipments/{id}/documents/{doc}\">Download label</a> ")
        })
        .unwrap_or_default();
    let mut actions = String::new();
    actions.push_str(&label_link);
    for action in BUTTONS {
        if action.check(&s).is_ok() {
            actions.push_str(&simple_form(id, action, action.label(), admin));
        }
    }
    if Action::AssignAwb.check(&s).is_ok() {
        match &shop_order {
            Some(o) => actions.push_str(&courier_form(state, &s, o, admin).await),
            None => actions.push_str("<p class=\"error\">The stored order cannot be read; no rates.</p>"),
        }
    }
    if Action::Return.check(&s).is_ok() {
        actions.push_str(&return_form(id, admin));
    }
    if Action::NdrAction.check(&s).is_ok() {
        actions.push_str(&ndr_form(id, admin));
    }
    let ndr_rows = ndrs
        .iter()
        .map(|n| {
            format!(
                "<li>{} — {} by {} ({}){}</li>",
                n.created_at.format("%Y-%m-%d %H:%M"),
                esc(&n.action),
                esc(&n.requested_by),
                esc(&n.status),
                n.deferred_date.map(|d| format!(", on {d}")).unwrap_or_default()
            )
        })
        .collect::<String>();
    let ndr_section = if ndrs.is_empty() {
        String::new()
    } else {
        format!("<section><h2>NDR actions</h2><ul>{ndr_rows}</ul></section>")
    };
    let audit_rows = audit
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.created_at.format("%Y-%m-%d %H:%M:%S"),
                esc(&a.action),
                esc(&a.actor)
            )
        })
        .collect::<String>();
    let audit_table = if audit.is_empty() {
        "<p>Nothing recorded yet.</p>".to_owned()
    } else {
        format!(
            "<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">What</th><th scope=\"col\">Who</th></tr></thead><tbody>{audit_rows}</tbody></table>"
        )
    };
    // The correction form, while the shipment's state allows one.
    let edit_form = match (&shop_order, route_for(&s)) {
        (Some(o), Ok(_)) => order_form::render(id, o, &edit.unwrap_or_else(|| EditFormState::of(o)), admin),
        _ => String::new(),
    };
    let content = format!(
        "{notice}{attention}{cancel_note}{replaces}{sync_error}{summary}{courier_note}<section><h2>Actions</h2><div class=\"actions\">{actions}</div></section>{edit_form}\
         <section><h2>Timeline</h2>{timeline}</section>{returns}<section><h2>Documents</h2>{documents}</section>{ndr_section}\
         <section><h2>Audit log</h2>{audit_table}</section>"
    );
    Ok(admin_page(&format!("Shipment {id}"), admin, &content))
}

fn opt_date(form: &FormData, name: &str) -> Result<Option<NaiveDate>, PageError> {
    form.text(name)
        .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| ApiError::field(name, "must be a date").into()))
        .transpose()
}

/// `POST /admin/shipments/{id}/action`: the form's fields become the API's action body.
pub async fn act(State(state): State<AppState>, admin: Admin, ApiPath(id): ApiPath<i64>, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    admin.check_csrf(&form)?;
    let action = Action::parse(form.get("action").unwrap_or_default())?;
    require_enabled(&state)?;
    let s = load(&state, id).await?;
    let courier_id = form
        .text("courier_id")
        .map(|c| c.parse::<i64>().map_err(|_| PageError(ApiError::field("courier_id", "must be a courier id"))))
        .transpose()?;
    let body = ActionBody {
        courier_id,
        reason: form.text("reason"),
        return_id: None,
        exchange: match form.text("exchange") {
            Some(ships) => Some(ExchangeBody {
                items: None,
                ships: Some(
                    shipping_domain::ReplacementShips::from_name(&ships)
                        .ok_or_else(|| PageError(ApiError::field("exchange", "must be on_pickup or at_once")))?,
                ),
            }),
            None => None,
        },
        action: form.text("ndr_action"),
        comments: form.text("comments"),
        deferred_date: opt_date(&form, "deferred_date")?,
        phone: form.text("phone"),
        address: form.text("address"),
    };
    perform(&state, &admin.caller(), action, &s, &body).await?;
    tracing::info!(shipment_id = id, action = action.path(), actor = %admin.caller().actor, "action from the admin pages");
    Ok(see_other(&format!("/admin/shipments/{id}?done={}", action.path())))
}

/// `GET /admin/shipments/{id}/documents/{doc}`: a stored label, manifest or invoice.
pub async fn document(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath((id, doc)): ApiPath<(i64, i64)>,
) -> PageResult {
    let d = state
        .store
        .document(doc)
        .await?
        .filter(|d| d.shipment_id == id)
        .ok_or_else(|| ApiError::NotFound("no such document".into()))?;
    Ok((
        [
            // Only PDFs are rendered inline: a stored body never becomes a page of ours.
            (
                header::CONTENT_TYPE,
                if d.content_type == "application/pdf" {
                    d.content_type.clone()
                } else {
                    "application/octet-stream".to_owned()
                },
            ),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{}-{id}.pdf\"", d.kind.replace(['"', '\\'], ""))),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        d.content,
    )
        .into_response())
}
