//! A shipment's returns and scans as HTML, for the shipment page (with what only staff see) and
//! the customer's tracking page (without).

use super::esc;
use crate::state::AppState;
use shipping_domain::ReturnState;
use shipping_store::entities::tracking_event;

/// A shipment's returns: status, AWB and each one's timeline. `admin` adds what only staff
/// see (the channel return id, the courier, the reason, a failure); the customer page gets
/// none of it, and no scan carries customer data (hubs and the courier's words).
pub async fn returns_section(
    state: &AppState,
    shipment_id: i64,
    admin: bool,
) -> Result<String, shipping_store::StoreError> {
    let returns = state.store.returns_of_shipment(shipment_id).await?;
    if returns.is_empty() {
        return Ok(String::new());
    }
    let mut out = String::from("<section class=\"returns\"><h2>Returns</h2>");
    for r in &returns {
        let status: &str = match ReturnState::from_name(&r.status) {
            Some(known) => known.label(),
            None => &r.status,
        };
        let events = state.store.return_events(r.id).await?;
        let timeline = timeline_list(&events, "No scans yet.");
        let exchange = match shipping_store::exchange_of(r)? {
            Some(e) => exchange_facts(state, &e, admin).await?,
            None => String::new(),
        };
        let staff = if admin {
            format!(
                "<dt>Return id</dt><dd>{}</dd><dt>Courier</dt><dd>{}</dd><dt>Reason</dt><dd>{}</dd>{}",
                esc(&r.channel_return_id),
                esc(r.courier_name.as_deref().unwrap_or("–")),
                esc(&r.reason),
                r.error.as_deref().map(|e| format!("<dt>Problem</dt><dd>{}</dd>", esc(e))).unwrap_or_default(),
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<div class=\"card\"><dl class=\"facts\"><dt>Return status</dt><dd data-return-status=\"{name}\">{status}</dd>\
             <dt>Return AWB</dt><dd>{awb}</dd>{exchange}{staff}</dl>{timeline}</div>",
            name = esc(&r.status),
            status = esc(status),
            awb = esc(r.awb.as_deref().unwrap_or("–")),
        ));
    }
    out.push_str("</section>");
    Ok(out)
}

/// An exchange's facts: what ships instead and where the replacement is. Staff get a link to
/// the replacement's page, the customer one to its tracking page.
async fn exchange_facts(
    state: &AppState,
    e: &shipping_store::Exchange,
    admin: bool,
) -> Result<String, shipping_store::StoreError> {
    let items = e.lines.iter().map(|l| format!("{} × {}", l.units, esc(&l.name))).collect::<Vec<_>>().join(", ");
    let replacement = match e.replacement_shipment_id {
        Some(id) => match state.store.shipment(id).await? {
            Some(r) if admin => format!(
                "<a href=\"/admin/shipments/{id}\" data-replacement=\"{id}\">{}</a> ({})",
                esc(&r.channel_order_id),
                esc(&r.state)
            ),
            Some(r) => format!(
                "<a href=\"/track/{}\" data-replacement=\"{id}\">Track your replacement</a>",
                esc(&r.tracking_token)
            ),
            None => String::from("–"),
        },
        None => String::from(match e.ships {
            shipping_domain::ReplacementShips::OnPickup => "Ships once the courier has collected the return",
            shipping_domain::ReplacementShips::AtOnce => "Being prepared",
        }),
    };
    Ok(format!("<dt>Exchange for</dt><dd>{items}</dd><dt>Replacement</dt><dd>{replacement}</dd>"))
}

/// Scans as a timeline (when, status, where, what), or `empty` when there are none.
pub fn timeline_list(events: &[tracking_event::Model], empty: &str) -> String {
    if events.is_empty() {
        return format!("<p>{empty}</p>");
    }
    let items = events
        .iter()
        .map(|e| {
            format!(
                "<li><time>{}</time> <strong>{}</strong> {} <span class=\"muted\">{}</span></li>",
                e.occurred_at.format("%Y-%m-%d %H:%M"),
                esc(&e.status_label),
                esc(e.location.as_deref().unwrap_or("")),
                esc(e.activity.as_deref().unwrap_or("")),
            )
        })
        .collect::<String>();
    format!("<ol class=\"timeline\">{items}</ol>")
}
