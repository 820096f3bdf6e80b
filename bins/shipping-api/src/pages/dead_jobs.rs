//! `GET /admin/dead-jobs`: jobs that will not be tried again, with why; replay one or many
//! (each goes back through the outbox once).

use super::session::Admin;
use super::{FormData, PageResult, admin_page, esc, see_other};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ReplayedQuery {
    #[serde(default)]
    replayed: Option<usize>,
    #[serde(default)]
    failed: Option<usize>,
}

pub async fn list(State(state): State<AppState>, admin: Admin, Query(q): Query<ReplayedQuery>) -> PageResult {
    let jobs = state.store.dead_jobs().await?;
    let note = match (q.replayed, q.failed) {
        (Some(n), f) => format!(
            "<p class=\"ok\" role=\"status\">{n} job(s) put back in the queue.{}</p>",
            f.filter(|f| *f > 0).map(|f| format!(" {f} could not be replayed.")).unwrap_or_default()
        ),
        _ => String::new(),
    };
    let body = if jobs.is_empty() {
        "<p>No dead jobs. Everything that failed was retried successfully.</p>".to_owned()
    } else {
        let rows = jobs
            .iter()
            .map(|j| {
                format!(
                    "<tr><td><input type=\"checkbox\" name=\"ids\" value=\"{id}\" id=\"dead-{id}\" class=\"pick\">\
                     <label for=\"dead-{id}\" class=\"sr\">Select dead job {id}</label></td><td>{id}</td><td>{kind}</td>\
                     <td>{attempts}</td><td>{at}</td><td class=\"err\">{error}</td>\
                     <td><button type=\"submit\" name=\"one\" value=\"{id}\">Replay</button></td></tr>",
                    id = j.id,
                    kind = esc(&j.kind),
                    attempts = j.attempts,
                    at = j.created_at.format("%Y-%m-%d %H:%M"),
                    error = esc(&j.error),
                )
            })
            .collect::<String>();
        format!(
            "<form method=\"post\" action=\"/admin/dead-jobs/replay\">{csrf}\
             <table class=\"list\"><thead><tr><th scope=\"col\"><input type=\"checkbox\" id=\"pick-all\">\
             <label for=\"pick-all\" class=\"sr\">Select every dead job</label></th><th scope=\"col\">Id</th>\
             <th scope=\"col\">Job</th><th scope=\"col\">Attempts</th><th scope=\"col\">Died</th><th scope=\"col\">Error</th>\
             <th scope=\"col\">Replay</th></tr></thead><tbody>{rows}</tbody></table>\
             <p><button type=\"submit\" name=\"selected\" value=\"1\">Replay selected</button></p></form>",
            csrf = admin.csrf_field()
        )
    };
    Ok(admin_page("Dead jobs", &admin, &format!("{note}{body}")).into_response())
}

/// `POST /admin/dead-jobs/replay`: the row's own button (`one`) or the selection (`ids`).
pub async fn replay(State(state): State<AppState>, admin: Admin, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    admin.check_csrf(&form)?;
    let ids: Vec<i64> = match form.get("one") {
        Some(one) => one.parse().into_iter().collect(),
        None => form.all("ids").filter_map(|v| v.parse().ok()).collect(),
    };
    let (mut replayed, mut failed) = (0, 0);
    for id in ids {
        match state.store.replay_dead_job(id).await {
            Ok(job) => {
                replayed += 1;
                state
                    .store
                    .audit("dead_job", id, "replayed", &admin.caller().actor, serde_json::json!({"kind": job.kind()}))
                    .await?;
            }
            Err(shipping_store::StoreError::NotFound(_)) => failed += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(see_other(&format!("/admin/dead-jobs?replayed={replayed}&failed={failed}")))
}
