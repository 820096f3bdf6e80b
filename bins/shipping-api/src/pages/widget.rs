//! `GET /widget/rates.js`: the checkout widget a shop includes with
//! `<script src="https://…/widget/rates.js" data-mount="#rates" data-target="#courier_id"
//! data-weight="0.5" data-cod="false" defer></script>`. It asks `GET /v1/rates` (CORS allows
//! any origin: the answer is public and carries no credentials). When rates are switched off
//! the script knows it at load (it is not cached) and hides its box; a 503 later hides it too.

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const WIDGET_JS: &str = include_str!("assets/widget.js");

pub async fn script(State(state): State<AppState>) -> Response {
    let flags = state.flags();
    let enabled = flags.enabled && flags.show_rates;
    let js = WIDGET_JS.replacen("__RATES_ENABLED__", if enabled { "true" } else { "false" }, 1);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Revalidated on every checkout: a flag switched off hides the widget at once.
            (header::CACHE_CONTROL, "no-cache"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        js,
    )
        .into_response()
}
