//! `GET /admin/shipments`: filters, keyset pages, a selection for bulk actions, CSV export.

use super::session::Admin;
use super::{PageResult, admin_page, esc, url_enc};
use crate::error::ApiError;
use crate::services::catalogue::{ActionCatalogue, BULK_OFFERED};
use crate::services::listing::{ListQuery, export_csv as csv_export, filter};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use shipping_domain::{AttentionReason, ShipmentState, SyncStatus};

const PAGE: u64 = 50;

/// The filters as a form sends them: empty fields mean "any".
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Filters {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub sync_status: Option<String>,
    #[serde(default)]
    pub courier: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub search: Option<String>,
    /// `needed` (any reason) or a reason code.
    #[serde(default)]
    pub attention: Option<String>,
    #[serde(default)]
    pub before: Option<i64>,
}

/// The attention filter's "any reason" value.
const ANY_ATTENTION: &str = "needed";

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl Filters {
    pub fn to_list_query(&self, limit: u64) -> ListQuery {
        ListQuery {
            status: clean(&self.status),
            sync_status: clean(&self.sync_status),
            courier: clean(&self.courier),
            from: clean(&self.from),
            to: clean(&self.to),
            search: clean(&self.search),
            limit: Some(limit),
            before: self.before,
            needs_attention: clean(&self.attention).filter(|a| a == ANY_ATTENTION).map(|_| true),
            attention: clean(&self.attention).filter(|a| a != ANY_ATTENTION),
        }
    }

    /// The filters that are set (not the page), by field name, trimmed.
    fn set_fields(&self) -> impl Iterator<Item = (&'static str, String)> {
        [
            ("status", &self.status),
            ("sync_status", &self.sync_status),
            ("courier", &self.courier),
            ("from", &self.from),
            ("to", &self.to),
            ("search", &self.search),
            ("attention", &self.attention),
        ]
        .into_iter()
        .filter_map(|(k, v)| clean(v).map(|v| (k, v)))
    }

    /// The filters (not the page) as a query string.
    pub fn query_string(&self) -> String {
        self.set_fields().map(|(k, v)| format!("{k}={}", url_enc(&v))).collect::<Vec<_>>().join("&")
    }

    /// The filters as hidden fields of the bulk form (for "every shipment matching").
    fn hidden_fields(&self) -> String {
        self.set_fields()
            .map(|(k, v)| format!("<input type=\"hidden\" name=\"f_{k}\" value=\"{}\">", esc(&v)))
            .collect()
    }
}

fn select(id: &str, label: &str, options: &[&str], chosen: Option<&str>) -> String {
    let opts = options
        .iter()
        .map(|o| {
            let sel = if chosen == Some(*o) { " selected" } else { "" };
            format!("<option value=\"{o}\"{sel}>{}</option>", o.replace('_', " "))
        })
        .collect::<String>();
    format!(
        "<label for=\"{id}\">{label}</label><select id=\"{id}\" name=\"{id}\"><option value=\"\">any</option>{opts}</select>"
    )
}

fn input(id: &str, label: &str, kind: &str, value: Option<&str>) -> String {
    format!(
        "<label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\">",
        esc(value.unwrap_or(""))
    )
}

pub async fn list(State(state): State<AppState>, admin: Admin, Query(f): Query<Filters>) -> PageResult {
    let q = f.to_list_query(PAGE);
    let listed = filter(&q, PAGE, PAGE).map(|lf| (lf.limit, lf));
    let (rows, problem) = match listed {
        Ok((_, lf)) => (state.store.list_shipments(&lf).await?, None),
        Err(e) => (vec![], Some(ApiError::from(e).public_message())),
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.shipment.id).collect();
    let returns = state.store.latest_returns(&ids).await?;
    let state_names = ShipmentState::ALL.map(ShipmentState::name);
    let attention_options: Vec<&str> =
        std::iter::once(ANY_ATTENTION).chain(AttentionReason::ALL.iter().map(|r| r.code())).collect();
    let filters = format!(
        "<form method=\"get\" action=\"/admin/shipments\" class=\"filters\">\
         <div>{status}</div><div>{sync}</div><div>{attention}</div><div>{courier}</div><div>{from}</div><div>{to}</div><div>{search}</div>\
         <div><button type=\"submit\">Filter</button> <a href=\"/admin/shipments\">Clear</a></div></form>",
        status = select("status", "Status", &state_names, clean(&f.status).as_deref()),
        sync = select(
            "sync_status",
            "Sync status",
            &SyncStatus::ALL.map(SyncStatus::name),
            clean(&f.sync_status).as_deref()
        ),
        attention = select("attention", "Needs attention", &attention_options, clean(&f.attention).as_deref()),
        courier = input("courier", "Courier", "text", f.courier.as_deref()),
        from = input("from", "Created from", "date", f.from.as_deref()),
        to = input("to", "Created to", "date", f.to.as_deref()),
        search = input("search", "AWB or order id", "search", f.search.as_deref()),
    );
    let problem = problem.map(|p| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&p))).unwrap_or_default();
    let qs = f.query_string();
    let body_rows = rows
        .iter()
        .map(|r| {
            let s = &r.shipment;
            format!(
                "<tr><td><input type=\"checkbox\" name=\"ids\" value=\"{id}\" id=\"sel-{id}\" class=\"pick\">\
                 <label for=\"sel-{id}\" class=\"sr\">Select shipment {id}</label></td>\
                 <td><a href=\"/admin/shipments/{id}\">{id}</a></td><td>{order}</td>{state}{sync}\
                 <td>{attention}</td><td>{ret}</td><td>{awb}</td><td>{courier}</td><td>{created}</td></tr>",
                id = s.id,
                // The newest return's status, if the shipment has one.
                ret = esc(returns.get(&s.id).map_or("", |r| r.status.as_str())),
                order = esc(&r.shop_order_id),
                state = super::state_element("td", s),
                sync = super::sync_element("td", s),
                attention = shipping_store::steps::attention_of(s)
                    .map(|r| format!("<span class=\"attention\">{}</span>", r.label()))
                    .unwrap_or_default(),
                awb = esc(s.awb.as_deref().unwrap_or("")),
                courier = esc(s.courier_name.as_deref().unwrap_or("")),
                created = s.created_at.format("%Y-%m-%d %H:%M"),
            )
        })
        .collect::<String>();
    let actions = BULK_OFFERED
        .iter()
        .filter_map(|a| a.bulk_label().map(|l| format!("<option value=\"{}\">{l}</option>", a.path())))
        .collect::<String>();
    let table = if rows.is_empty() {
        "<p>No shipments match.</p>".to_owned()
    } else {
        format!(
            "<table class=\"list\"><thead><tr><th scope=\"col\"><input type=\"checkbox\" id=\"pick-all\">\
             <label for=\"pick-all\" class=\"sr\">Select every shipment on this page</label></th>\
             <th scope=\"col\">Id</th><th scope=\"col\">Order</th><th scope=\"col\">Status</th><th scope=\"col\">Sync</th>\
             <th scope=\"col\">Attention</th><th scope=\"col\">Return</th><th scope=\"col\">AWB</th><th scope=\"col\">Courier</th><th scope=\"col\">Created</th></tr></thead>\
             <tbody>{body_rows}</tbody></table>"
        )
    };
    let older = match (rows.len() as u64 == PAGE, rows.last()) {
        (true, Some(last)) => {
            let sep = if qs.is_empty() { "" } else { "&" };
            format!(
                "<a href=\"/admin/shipments?{qs}{sep}before={}\" rel=\"next\">Older shipments →</a>",
                last.shipment.id
            )
        }
        _ => String::new(),
    };
    let newest =
        if f.before.is_some() { format!("<a href=\"/admin/shipments?{qs}\">← Newest</a> ") } else { String::new() };
    let content = format!(
        "{filters}{problem}<p class=\"links\"><a href=\"/admin/shipments.csv?{qs}\" download>Export CSV</a></p>\
         <form method=\"post\" action=\"/admin/shipments/bulk\" id=\"bulk\">{csrf}{hidden}\
         <fieldset class=\"bulk\"><legend>Bulk action</legend>\
         <label for=\"action\">Action</label><select id=\"action\" name=\"action\">{actions}</select>\
         <input type=\"radio\" name=\"scope\" value=\"selected\" id=\"scope-selected\" checked>\
         <label for=\"scope-selected\">Selected shipments</label>\
         <input type=\"radio\" name=\"scope\" value=\"filter\" id=\"scope-filter\">\
         <label for=\"scope-filter\">Every shipment matching the filter (up to 500)</label>\
         <button type=\"submit\">Run</button></fieldset>{table}</form><p class=\"pages\">{newest}{older}</p>",
        csrf = admin.csrf_field(),
        hidden = f.hidden_fields(),
    );
    Ok(admin_page("Shipments", &admin, &content).into_response())
}

/// `GET /admin/shipments.csv` with the list's filters.
pub async fn export_csv(State(state): State<AppState>, _admin: Admin, Query(f): Query<Filters>) -> PageResult {
    Ok(csv_export(&state, &f.to_list_query(10_000)).await?.into_response())
}
