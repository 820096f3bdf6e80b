//! Bulk actions from the shipment list: the selection (or every shipment matching the filter)
//! goes through the same code as `POST /v1/shipments/bulk/{action}`, then a progress page
//! polls a small JSON status while the worker runs the jobs. Labels of many shipments come as
//! one merged PDF or as a ZIP.

use super::session::Admin;
use super::shipments::Filters;
use super::{FormData, PageResult, admin_page, esc, see_other};
use crate::error::ApiError;
use crate::services::actions::{MAX_BULK, bulk, progress_of};
use crate::services::catalogue::{Action, ActionCatalogue, BULK_OFFERED};
use crate::services::labels::{current_labels, labels_zip as zip_of};
use crate::services::listing::filter;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

fn parse_ids(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// `POST /admin/shipments/bulk`: promises the jobs, then 303 to the progress page.
pub async fn start(State(state): State<AppState>, admin: Admin, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    admin.check_csrf(&form)?;
    let name = form.get("action").unwrap_or_default();
    let Some(action) = BULK_OFFERED.into_iter().find(|a| a.path() == name) else {
        return Err(ApiError::field("action", "choose one of the listed actions").into());
    };
    let ids: Vec<i64> = if form.get("scope") == Some("filter") {
        let f = Filters {
            status: form.text("f_status"),
            sync_status: form.text("f_sync_status"),
            courier: form.text("f_courier"),
            from: form.text("f_from"),
            to: form.text("f_to"),
            search: form.text("f_search"),
            attention: form.text("f_attention"),
            before: None,
        };
        let lf = filter(&f.to_list_query(MAX_BULK as u64), MAX_BULK as u64, MAX_BULK as u64)?;
        state.store.list_shipments(&lf).await?.iter().map(|r| r.shipment.id).collect()
    } else {
        form.all("ids").filter_map(|v| v.parse().ok()).collect()
    };
    if ids.is_empty() {
        return Err(ApiError::field("ids", "select at least one shipment").into());
    }
    let started = Utc::now();
    let result = bulk(&state, &admin.caller(), action, ids, None).await?;
    let accepted: Vec<i64> = result.results.iter().filter(|r| r.accepted).map(|r| r.id).collect();
    let refused: Vec<i64> = result.results.iter().filter(|r| !r.accepted).map(|r| r.id).collect();
    tracing::info!(
        action = action.path(),
        accepted = accepted.len(),
        refused = refused.len(),
        "bulk action from the admin pages"
    );
    Ok(see_other(&format!(
        "/admin/bulk?action={}&ids={}&refused={}&since={}",
        action.path(),
        join_ids(&accepted),
        join_ids(&refused),
        started.timestamp()
    )))
}

#[derive(Debug, Deserialize)]
pub struct ProgressQuery {
    action: String,
    #[serde(default)]
    ids: String,
    #[serde(default)]
    refused: String,
    #[serde(default)]
    since: Option<i64>,
}

/// `GET /admin/bulk`: the page; its script polls `status.json` until every job is done.
pub async fn progress(State(_state): State<AppState>, admin: Admin, Query(q): Query<ProgressQuery>) -> PageResult {
    let action = Action::parse(&q.action)?;
    let ids = parse_ids(&q.ids);
    let refused = parse_ids(&q.refused);
    let label = action.bulk_label().unwrap_or(action.path());
    let status_url = format!(
        "/admin/bulk/status.json?action={}&ids={}&since={}",
        action.path(),
        join_ids(&ids),
        q.since.unwrap_or_default()
    );
    let refused_note = if refused.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"error\">Not possible for {} shipment(s) in their current state: {}.</p>",
            refused.len(),
            esc(&join_ids(&refused))
        )
    };
    let downloads = if action == Action::Label && !ids.is_empty() {
        let ids = join_ids(&ids);
        format!(
            "<p class=\"links\" id=\"downloads\"><a href=\"/admin/labels.pdf?ids={ids}\" id=\"labels-pdf\">All labels as one PDF</a> \
             <a href=\"/admin/labels.zip?ids={ids}\" id=\"labels-zip\">All labels as a ZIP</a></p>"
        )
    } else {
        String::new()
    };
    let content = format!(
        "<p>{label}: {n} shipment(s) accepted.</p>{refused_note}\
         <div id=\"progress\" data-status-url=\"{url}\" aria-live=\"polite\">\
         <progress id=\"bar\" max=\"{n}\" value=\"0\">0 of {n}</progress> <span id=\"progress-text\">waiting for the worker…</span>\
         </div>{downloads}<p><a href=\"/admin/shipments\">Back to shipments</a></p>",
        n = ids.len(),
        url = esc(&status_url),
    );
    Ok(admin_page("Bulk action", &admin, &content).into_response())
}

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    action: String,
    #[serde(default)]
    ids: String,
    #[serde(default)]
    since: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ItemStatus {
    pub id: i64,
    pub state: String,
    pub done: bool,
    pub failed: bool,
}

#[derive(Debug, Serialize)]
pub struct BulkStatus {
    pub action: &'static str,
    pub total: usize,
    pub done: usize,
    pub failed: usize,
    pub items: Vec<ItemStatus>,
}

/// `GET /admin/bulk/status.json`: how many of the shipments show the action's effect yet, and
/// how many failed (their job died, or the shipment was cancelled meanwhile).
pub async fn status(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<StatusQuery>,
) -> Result<Json<BulkStatus>, ApiError> {
    let action = Action::parse(&q.action)?;
    let ids: Vec<i64> = parse_ids(&q.ids).into_iter().take(MAX_BULK).collect();
    let shipments = state.store.shipments_by_ids(&ids).await?;
    let labelled: HashSet<i64> = if action == Action::Label {
        state.store.shipments_with_document(&ids, "label").await?.into_iter().collect()
    } else {
        HashSet::new()
    };
    let since: DateTime<Utc> = DateTime::from_timestamp(q.since.unwrap_or_default(), 0).unwrap_or_default();
    // A job that died (retries exhausted or a permanent error) is a failure, whatever the state.
    let dead: HashSet<i64> =
        state.store.shipments_with_dead_jobs(action.job_kind(), &ids, since).await?.into_iter().collect();
    let items: Vec<ItemStatus> = shipments
        .iter()
        .map(|s| {
            let (done, failed) = progress_of(action, s, labelled.contains(&s.id), since);
            let failed = failed || (!done && dead.contains(&s.id));
            ItemStatus { id: s.id, state: s.state.clone(), done, failed }
        })
        .collect();
    Ok(Json(BulkStatus {
        action: action.path(),
        total: items.len(),
        done: items.iter().filter(|i| i.done).count(),
        failed: items.iter().filter(|i| i.failed).count(),
        items,
    }))
}

#[derive(Debug, Deserialize)]
pub struct IdsQuery {
    #[serde(default)]
    ids: String,
}

/// `GET /admin/labels.zip?ids=`: the labels in one ZIP (the API's ZIP code).
pub async fn labels_zip(State(state): State<AppState>, _admin: Admin, Query(q): Query<IdsQuery>) -> PageResult {
    Ok(zip_of(&state, parse_ids(&q.ids)).await?.into_response())
}

/// `GET /admin/labels.pdf?ids=`: the current label of each shipment, merged into one PDF in id
/// order (for printing in one go); shipments without a label are left out.
pub async fn labels_pdf(State(state): State<AppState>, _admin: Admin, Query(q): Query<IdsQuery>) -> PageResult {
    let docs = current_labels(&state, parse_ids(&q.ids)).await?;
    let merged = tokio::task::spawn_blocking(move || merge_pdfs(&docs))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(anyhow::anyhow!("merging labels: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"labels.pdf\""),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        merged,
    )
        .into_response())
}

/// Page attributes a page may inherit from its page tree; copied onto each page because the
/// merged document has a new tree.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

fn inherited(doc: &lopdf::Document, page: &lopdf::Dictionary, key: &[u8]) -> Option<lopdf::Object> {
    let mut parent = page.get(b"Parent").and_then(lopdf::Object::as_reference).ok();
    // Bounded: a malformed tree with a cycle must not hang the request.
    for _ in 0..32 {
        let dict = doc.get_dictionary(parent?).ok()?;
        if let Ok(v) = dict.get(key) {
            return Some(v.clone());
        }
        parent = dict.get(b"Parent").and_then(lopdf::Object::as_reference).ok();
    }
    None
}

/// Concatenates the pages of `pdfs` into one document.
pub fn merge_pdfs(pdfs: &[Vec<u8>]) -> Result<Vec<u8>, lopdf::Error> {
    use lopdf::{Dictionary, Document, Object, ObjectId};
    let mut next_id = 1;
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let mut pages: Vec<(ObjectId, Dictionary)> = Vec::new();
    for bytes in pdfs {
        let mut doc = Document::load_mem(bytes)?;
        doc.renumber_objects_with(next_id);
        next_id = doc.max_id + 1;
        for page_id in doc.get_pages().into_values() {
            let mut page = doc.get_dictionary(page_id)?.clone();
            for key in INHERITED {
                if !page.has(key)
                    && let Some(v) = inherited(&doc, &page, key)
                {
                    page.set(key, v);
                }
            }
            pages.push((page_id, page));
        }
        for (id, object) in doc.objects {
            let skip = matches!(object.type_name(), Ok(b"Catalog" | b"Pages" | b"Page"));
            if !skip {
                objects.insert(id, object);
            }
        }
    }
    let pages_id = (next_id, 0);
    let catalog_id = (next_id + 1, 0);
    let kids: Vec<Object> = pages.iter().map(|(id, _)| Object::Reference(*id)).collect();
    let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
    for (id, mut page) in pages {
        page.set("Parent", Object::Reference(pages_id));
        objects.insert(id, Object::Dictionary(page));
    }
    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set("Kids", Object::Array(kids));
    tree.set("Count", Object::Integer(count));
    objects.insert(pages_id, Object::Dictionary(tree));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    objects.insert(catalog_id, Object::Dictionary(catalog));
    let mut out = Document::with_version("1.5");
    out.objects = objects;
    out.max_id = next_id + 1;
    out.trailer.set("Root", Object::Reference(catalog_id));
    let mut buf = Vec::new();
    out.save_to(&mut buf)?;
    Ok(buf)
}
