//! Labels: the signed link, the PDF behind it, many labels as one ZIP
//! ([`crate::services::labels`] does the work).

use crate::auth::{Caller, verify_label};
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiPath, ApiQuery};
use crate::services::Download;
use crate::services::labels::{LabelLink, label_download};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::Deserialize;

/// `GET /v1/shipments/{id}/label`: a signed link to the current label PDF, valid for
/// `auth.label_url_ttl_secs`.
#[utoipa::path(get, path = "/v1/shipments/{id}/label", tag = "shipments",
    summary = "A signed, expiring link to the current label PDF",
    params(("id" = i64, Path, description = "Shipment id")),
    responses((status = 200, body = LabelLink), (status = 404, description = "No such shipment, or no label yet", body = ErrorEnvelope)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn label_link(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<LabelLink>> {
    Ok(Json(crate::services::labels::label_link(&state, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedQuery {
    pub expires: i64,
    pub sig: String,
}

/// `GET /v1/labels/{id}?expires=&sig=`: the PDF, for whoever holds an unexpired link.
#[utoipa::path(get, path = "/v1/labels/{id}", tag = "shipments",
    summary = "The label PDF, for a signed unexpired link (no key: the link is the credential)",
    params(("id" = i64, Path, description = "Shipment id"), SignedQuery),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = crate::openapi::Binary),
        (status = 403, description = "The link is wrong or has expired", body = ErrorEnvelope),
        (status = 404, description = "No label", body = ErrorEnvelope),
    ))]
pub async fn download_label(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SignedQuery>,
) -> ApiResult<Download> {
    verify_label(&state.signing_key, id, q.expires, &q.sig, Utc::now().timestamp())?;
    Ok(label_download(&state, id).await?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsZipBody {
    pub ids: Vec<i64>,
}

/// `POST /v1/labels.zip` with `{"ids": [...]}`: the current label of each shipment as
/// `label-<id>.pdf` in one ZIP; shipments without a label are listed in `missing.txt`.
#[utoipa::path(post, path = "/v1/labels.zip", tag = "shipments",
    summary = "The current labels of many shipments as one ZIP (label-<id>.pdf; missing.txt lists those without)",
    request_body = LabelsZipBody,
    responses(
        (status = 200, description = "The ZIP", content_type = "application/zip", body = crate::openapi::Binary),
        (status = 404, description = "None of them has a label", body = ErrorEnvelope),
        (status = 422, description = "No ids, or too many", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn labels_zip(
    State(state): State<AppState>,
    _caller: Caller,
    crate::extract::JsonBody(body): crate::extract::JsonBody<LabelsZipBody>,
) -> ApiResult<Download> {
    Ok(crate::services::labels::labels_zip(&state, body.ids).await?)
}
