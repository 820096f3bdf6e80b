//! Listing shipments: the filters (as the JSON query and the admin form give them), checked
//! and turned into the store's filter, and the CSV export of a filtered list.

use super::{Download, ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use shipping_domain::{AttentionReason, ShipmentState, SyncStatus};
use shipping_store::api_queries::{AttentionFilter, ShipmentFilter};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A state name, e.g. `in_transit`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub sync_status: Option<String>,
    #[serde(default)]
    pub courier: Option<String>,
    /// Created on or after (`YYYY-MM-DD` or RFC 3339).
    #[serde(default)]
    pub from: Option<String>,
    /// Created before (`YYYY-MM-DD`: before the end of that day, or RFC 3339).
    #[serde(default)]
    pub to: Option<String>,
    /// An AWB, a shop order id or a channel order id (exact).
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
    /// Keyset pagination: the `next_before` of the previous page.
    #[serde(default)]
    pub before: Option<i64>,
    /// `true`: only shipments that need a person; `false`: only the others.
    #[serde(default)]
    pub needs_attention: Option<bool>,
    /// Only shipments that need a person for this reason (e.g. `not_serviceable`).
    #[serde(default)]
    pub attention: Option<String>,
}

fn parse_time(field: &str, v: &str, end_of_day: bool) -> ServiceResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| ServiceError::field(field, "must be YYYY-MM-DD or an RFC 3339 time"))?;
    let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_time(chrono::NaiveTime::MIN).and_utc())
}

pub fn filter(q: &ListQuery, max: u64, default: u64) -> ServiceResult<ShipmentFilter> {
    if let Some(s) = &q.status
        && ShipmentState::from_name(s, 0).is_none()
    {
        return Err(ServiceError::field("status", "is not a shipment state (e.g. in_transit, ndr, delivered)"));
    }
    if let Some(s) = &q.sync_status
        && SyncStatus::from_name(s).is_none()
    {
        return Err(ServiceError::field("sync_status", "must be pending, in_progress, synced or failed"));
    }
    let attention = match (&q.attention, q.needs_attention) {
        (Some(code), Some(false)) => {
            return Err(ServiceError::field("attention", format!("{code:?} contradicts needs_attention=false")));
        }
        (Some(code), _) => Some(AttentionFilter::Reason(AttentionReason::from_code(code).ok_or_else(|| {
            let known: Vec<&str> = AttentionReason::ALL.iter().map(|r| r.code()).collect();
            ServiceError::field("attention", format!("is not one of {}", known.join(", ")))
        })?)),
        (None, Some(true)) => Some(AttentionFilter::Any),
        (None, Some(false)) => Some(AttentionFilter::None),
        (None, None) => None,
    };
    Ok(ShipmentFilter {
        attention,
        state: q.status.as_deref().and_then(|s| ShipmentState::from_name(s, 0)),
        sync_status: q.sync_status.as_deref().and_then(SyncStatus::from_name),
        courier: q.courier.clone(),
        created_from: q.from.as_deref().map(|v| parse_time("from", v, false)).transpose()?,
        created_to: q.to.as_deref().map(|v| parse_time("to", v, true)).transpose()?,
        search: q.search.clone(),
        before_id: q.before,
        limit: q.limit.unwrap_or(default).clamp(1, max),
    })
}

fn csv_field(v: &str) -> String {
    // Also defuses spreadsheet formulas in free text.
    let v = if v.starts_with(['=', '+', '-', '@']) { format!("'{v}") } else { v.to_owned() };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

/// The CSV export of the shipments matching `q` (up to 10,000 rows).
pub async fn export_csv(state: &AppState, q: &ListQuery) -> ServiceResult<Download> {
    let f = filter(q, 10_000, 10_000)?;
    let rows = state.store.list_shipments(&f).await?;
    let mut out = String::from(
        "shipment_id,shop_order_id,channel_order_id,state,sync_status,awb,courier_id,courier_name,created_at,last_event_at\n",
    );
    for r in &rows {
        let s = &r.shipment;
        let line = [
            s.id.to_string(),
            csv_field(&r.shop_order_id),
            csv_field(&s.channel_order_id),
            s.state.clone(),
            s.sync_status.clone(),
            csv_field(s.awb.as_deref().unwrap_or_default()),
            s.courier_id.map(|c| c.to_string()).unwrap_or_default(),
            csv_field(s.courier_name.as_deref().unwrap_or_default()),
            s.created_at.to_rfc3339(),
            s.last_event_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ]
        .join(",");
        out.push_str(&line);
        out.push('\n');
    }
    Ok(Download {
        content_type: "text/csv; charset=utf-8".into(),
        disposition: "attachment; filename=\"shipments.csv\"".into(),
        cache_control: None,
        body: out.into_bytes(),
    })
}
