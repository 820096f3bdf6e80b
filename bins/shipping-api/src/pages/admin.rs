//! `GET /admin`: what needs attention, the latest tracking updates, couriers over 30 days.

use super::session::Admin;
use super::{PageResult, admin_page, esc, url_enc};
use crate::state::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use shipping_store::entities::queue_depth;

fn percent(p: Option<f64>) -> String {
    p.map_or("–".to_owned(), |p| format!("{p:.0}%"))
}

/// Where the queue figure comes from: the workers' latest reading, per queue, and how old it is
/// (an old one means no worker is running its gauges).
fn queue_note(queues: &[queue_depth::Model], now: DateTime<Utc>) -> String {
    let Some(measured) = queues.iter().map(|q| q.measured_at).max() else {
        return "<p class=\"note\" id=\"queue-note\">No worker has reported the queues yet.</p>".to_owned();
    };
    let mut by_priority: Vec<&queue_depth::Model> = queues.iter().collect();
    by_priority.sort_by_key(|q| ["high", "medium", "low"].iter().position(|p| *p == q.queue).unwrap_or(3));
    let per_queue = by_priority
        .iter()
        .map(|q| format!("{} {} ready, {} later", esc(&q.queue), q.ready, q.scheduled))
        .collect::<Vec<_>>()
        .join(" · ");
    let age = (now - measured).num_seconds().max(0);
    let stale = if age > 300 { " — is any worker running?" } else { "" };
    format!("<p class=\"note\" id=\"queue-note\">Queues: {per_queue} (read {age} s ago{stale}).</p>")
}

pub async fn dashboard(State(state): State<AppState>, admin: Admin) -> PageResult {
    // Three independent reads on three pooled connections, at once.
    let (c, recent, couriers, queues) = tokio::try_join!(
        state.store.dashboard_counts(),
        state.store.recent_tracking_events(20),
        state.store.courier_performance(Utc::now() - Duration::days(30), state.settings.admin.on_time_days),
        state.store.queue_depths(),
    )?;
    let queued: i64 = queues.iter().map(|q| q.ready + q.scheduled).sum();
    // Each counter links to the list that explains it.
    let tiles = [
        ("needs_attention", "Need attention", c.needs_attention, "/admin/shipments?attention=needed"),
        ("pending_syncs", "Pending syncs", c.pending_syncs, "/admin/shipments?status=pending_sync"),
        ("active_shipments", "Active shipments", c.active_shipments, "/admin/shipments"),
        ("failed_syncs", "Failed syncs", c.failed_syncs, "/admin/shipments?status=sync_failed"),
        ("ndr_waiting", "NDRs waiting for action", c.ndr_waiting, "/admin/shipments?status=ndr"),
        ("rto_in_progress", "RTOs in progress", c.rto_in_progress, "/admin/shipments?status=rto_in_transit"),
        ("dead_jobs", "Dead jobs", c.dead_jobs, "/admin/dead-jobs"),
        ("queued_jobs", "Jobs in the queues", queued, "/admin"),
        ("outbox_backlog", "Jobs waiting to be queued (outbox)", c.outbox_backlog, "/admin"),
    ]
    .iter()
    .map(|(id, label, n, href)| {
        format!("<a class=\"tile\" href=\"{href}\"><span class=\"n\" data-count=\"{id}\">{n}</span> {label}</a>")
    })
    .collect::<String>();
    let queue_note = queue_note(&queues, Utc::now());
    let updates = if recent.is_empty() {
        "<p>No tracking updates yet.</p>".to_owned()
    } else {
        let rows = recent
            .iter()
            .map(|e| {
                format!(
                    "<tr><td>{at}</td><td><a href=\"/admin/shipments/{id}\">{awb}</a></td><td>{status}</td><td>{place}</td></tr>",
                    at = e.occurred_at.format("%Y-%m-%d %H:%M"),
                    id = e.shipment_id,
                    awb = esc(&e.awb),
                    status = esc(&e.status_label),
                    place = esc(e.location.as_deref().unwrap_or("")),
                )
            })
            .collect::<String>();
        format!(
            "<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">AWB</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">Where</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let perf = if couriers.is_empty() {
        "<p>No shipments with a courier in the last 30 days.</p>".to_owned()
    } else {
        let rows = couriers
            .iter()
            .map(|p| {
                format!(
                    "<tr><td><a href=\"/admin/shipments?courier={q}\">{name}</a></td><td>{n}</td><td>{on_time}</td>\
                     <td>{rto}</td><td>{transit}</td></tr>",
                    q = url_enc(&p.courier_name),
                    name = esc(&p.courier_name),
                    n = p.shipments,
                    on_time = percent(p.on_time_percent()),
                    rto = percent(p.rto_percent()),
                    transit = p.avg_transit_days.map_or("–".to_owned(), |d| format!("{d:.1}")),
                )
            })
            .collect::<String>();
        format!(
            "<table><thead><tr><th scope=\"col\">Courier</th><th scope=\"col\">Shipments</th>\
             <th scope=\"col\">Delivered on time (by the courier's first estimate; without one, ≤ {days} days)</th><th scope=\"col\">RTO</th>\
             <th scope=\"col\">Average transit days</th></tr></thead><tbody>{rows}</tbody></table>",
            days = state.settings.admin.on_time_days
        )
    };
    let content = format!(
        "<section class=\"tiles\" aria-label=\"Counts\">{tiles}</section>{queue_note}\
         <section><h2>Recent tracking updates</h2>{updates}</section>\
         <section><h2>Courier performance, last 30 days</h2>{perf}</section>"
    );
    Ok(admin_page("Dashboard", &admin, &content).into_response())
}
