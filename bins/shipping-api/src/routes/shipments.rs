//! Shipment reads and actions. An action only checks that the shipment's state allows it and
//! promises the matching job (an outbox row, with an audit row, in one transaction): 202.
//! The worker does the Shiprocket calls.

use crate::auth::{Caller, sign_label, verify_label};
use crate::error::{ApiError, ApiResult, ErrorEnvelope, FieldError};
use crate::extract::{ApiPath, ApiQuery, parse_json};
use crate::routes::orders::{draft_options, tracking_url};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shipping_domain::{
    AttentionReason, OrderLine, Phone, ReplacementShips, ShipmentState, ShiprocketOrderDraft, replacement_order,
};
use shipping_store::api_queries::{AttentionFilter, NewNdrAction, ShipmentFilter};
use shipping_store::entities::{return_request, shipment, tracking_event};
use shipping_store::jobs::{Job, ShipmentBatchV1, ShipmentJobV1, SyncOrderV1};
use shipping_store::{ExchangeRequest, Once};

/// A shipment as the shop's staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub id: i64,
    pub order_id: i64,
    pub channel_order_id: String,
    pub state: String,
    pub sync_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_error: Option<String>,
    pub awb: Option<String>,
    pub courier_id: Option<i64>,
    pub courier_name: Option<String>,
    pub ndr_attempts: i32,
    pub last_event_at: Option<DateTime<Utc>>,
    /// Present while the shipment waits for a person: why, and what resolves it.
    pub attention: Option<AttentionView>,
    /// When a cancel was asked for (every later step stops).
    pub cancel_requested_at: Option<DateTime<Utc>>,
    /// The courier the customer picked at checkout.
    pub requested_courier_id: Option<i64>,
    /// Why the booked courier is not the one asked for, when it is not.
    pub courier_note: Option<String>,
    /// An exchange's replacement: the return it replaces (its lines ship instead of the
    /// order's; channel order id `-X<n>`).
    pub replacement_for_return_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a shipment needs a person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttentionView {
    /// `not_serviceable`, `couriers_refused`, `wallet_too_low`, `validation_error`,
    /// `retries_exhausted`, `cancel_unconfirmed`, `lost` or `stalled`.
    pub reason: &'static str,
    pub label: &'static str,
    pub message: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// What resolves it.
    pub resolution: &'static str,
    /// The shipment action that does, when one does.
    pub action: Option<&'static str>,
}

impl AttentionView {
    pub fn of(s: &shipment::Model) -> Option<AttentionView> {
        let reason = shipping_store::steps::attention_of(s)?;
        Some(AttentionView {
            reason: reason.code(),
            label: reason.label(),
            message: s.attention_message.clone(),
            since: s.attention_since,
            resolution: reason.resolution(),
            action: reason.resolving_action(),
        })
    }
}

impl From<&shipment::Model> for ShipmentView {
    fn from(s: &shipment::Model) -> Self {
        ShipmentView {
            id: s.id,
            order_id: s.order_id,
            channel_order_id: s.channel_order_id.clone(),
            state: s.state.clone(),
            sync_status: s.sync_status.clone(),
            sync_error: s.sync_error.clone(),
            awb: s.awb.clone(),
            courier_id: s.courier_id,
            courier_name: s.courier_name.clone(),
            ndr_attempts: s.ndr_attempts,
            last_event_at: s.last_event_at,
            attention: AttentionView::of(s),
            cancel_requested_at: s.cancel_requested_at,
            requested_courier_id: s.requested_courier_id,
            courier_note: s.courier_note.clone(),
            replacement_for_return_id: s.replacement_for_return_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// One tracking event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub status: String,
    pub at: DateTime<Utc>,
    pub location: Option<String>,
    pub activity: Option<String>,
    pub source: String,
}

impl From<&tracking_event::Model> for TimelineEntry {
    fn from(e: &tracking_event::Model) -> Self {
        TimelineEntry {
            status: e.status_label.clone(),
            at: e.occurred_at,
            location: e.location.clone(),
            activity: e.activity.clone(),
            source: e.source.clone(),
        }
    }
}

/// A customer return of the shipment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReturnView {
    pub id: i64,
    pub channel_return_id: String,
    /// `requested`, `created`, `pickup_scheduled`, `cancelled`, `picked_up`, `in_transit`,
    /// `failed` or `delivered_to_warehouse`; only ever moves forward.
    pub status: String,
    pub awb: Option<String>,
    pub courier_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The return's scans, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Set when the return is an exchange.
    pub exchange: Option<ExchangeView>,
    /// Why Shiprocket refused the return, or why its replacement could not be created.
    pub error: Option<String>,
}

/// What an exchange sends instead, and where it stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExchangeView {
    /// The replacement's lines.
    pub items: Vec<OrderLine>,
    /// `on_pickup` (when the courier has the return) or `at_once`.
    pub ships: ReplacementShips,
    /// The replacement's shipment, once created.
    pub replacement_shipment_id: Option<i64>,
}

impl ReturnView {
    /// The view of return `r`, with its scans.
    pub async fn load(state: &AppState, r: return_request::Model) -> ApiResult<ReturnView> {
        let timeline = state.store.return_events(r.id).await?.iter().map(TimelineEntry::from).collect();
        let exchange = shipping_store::exchange_of(&r)?.map(|e| ExchangeView {
            items: e.lines,
            ships: e.ships,
            replacement_shipment_id: e.replacement_shipment_id,
        });
        Ok(ReturnView {
            id: r.id,
            channel_return_id: r.channel_return_id,
            status: r.status,
            awb: r.awb,
            courier_name: r.courier_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
            timeline,
            exchange,
            error: r.error,
        })
    }
}

/// The actions, by their path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create the Shiprocket order (when automatic sync is off, or to retry a failed sync).
    Sync,
    AssignAwb,
    Label,
    Pickup,
    Manifest,
    Cancel,
    RefreshTracking,
    Return,
    NdrAction,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Sync,
        Action::AssignAwb,
        Action::Label,
        Action::Pickup,
        Action::Manifest,
        Action::Cancel,
        Action::RefreshTracking,
        Action::Return,
        Action::NdrAction,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Action::Sync => "sync",
            Action::AssignAwb => "assign-awb",
            Action::Label => "label",
            Action::Pickup => "pickup",
            Action::Manifest => "manifest",
            Action::Cancel => "cancel",
            Action::RefreshTracking => "refresh-tracking",
            Action::Return => "return",
            Action::NdrAction => "ndr-action",
        }
    }

    /// The kind of job the action promises (a bulk action's dead jobs are of this kind).
    pub fn job_kind(self) -> &'static str {
        match self {
            Action::Sync => "sync_order",
            Action::AssignAwb => "assign_awb",
            Action::Label => "generate_label",
            Action::Pickup => "schedule_pickup",
            Action::Manifest => "generate_manifest",
            Action::Cancel => "cancel_shipment",
            Action::RefreshTracking => "refresh_tracking",
            Action::Return => "create_return",
            Action::NdrAction => "ndr_action",
        }
    }

    pub(crate) fn parse(s: &str) -> ApiResult<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.path() == s)
            .ok_or_else(|| ApiError::NotFound(format!("no shipment action {s:?}")))
    }

    /// Whether `state` allows the action; the error says why not.
    pub(crate) fn allowed(self, s: &shipment::Model) -> Result<(), String> {
        use ShipmentState as S;
        let state = ShipmentState::from_name(&s.state, u32::try_from(s.ndr_attempts).unwrap_or(0))
            .ok_or_else(|| format!("shipment {} has an unknown state", s.id))?;
        let ok = match self {
            Action::Sync => matches!(state, S::PendingSync | S::SyncFailed) && s.sync_status != "synced",
            Action::AssignAwb => state == S::Synced,
            Action::Label => matches!(state, S::AwbAssigned | S::LabelReady | S::PickupScheduled),
            Action::Pickup => matches!(state, S::AwbAssigned | S::LabelReady),
            Action::Manifest => state == S::PickupScheduled,
            Action::Cancel => matches!(
                state,
                S::PendingSync | S::SyncFailed | S::Synced | S::AwbAssigned | S::LabelReady | S::PickupScheduled
            ),
            Action::RefreshTracking => state.has_awb() && !state.is_terminal(),
            Action::Return => state == S::Delivered,
            Action::NdrAction => matches!(state, S::Ndr { .. }),
        };
        if ok { Ok(()) } else { Err(format!("{} is not possible while shipment {} is {}", self.path(), s.id, s.state)) }
    }
}

/// The action names as they appear in paths.
impl utoipa::PartialSchema for Action {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Action::ALL.map(Action::path)))
            .into()
    }
}

impl utoipa::ToSchema for Action {}

/// Optional parameters of single-shipment actions.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// assign-awb: a courier chosen by a person instead of the configured preference.
    #[serde(default)]
    pub courier_id: Option<i64>,
    /// return: why the customer returns it (required).
    #[serde(default)]
    pub reason: Option<String>,
    /// return: the shop's return id (default `RET-<channel order id>`).
    #[serde(default)]
    pub return_id: Option<String>,
    /// return: make it an exchange; the replacement ships to the same customer.
    #[serde(default)]
    pub exchange: Option<ExchangeBody>,
    /// ndr-action: `re-attempt`, `return` or `fake-attempt`.
    #[serde(default)]
    pub action: Option<String>,
    /// ndr-action: required by Shiprocket.
    #[serde(default)]
    pub comments: Option<String>,
    /// ndr-action re-attempt: `YYYY-MM-DD`, today or later.
    #[serde(default)]
    pub deferred_date: Option<NaiveDate>,
    /// ndr-action re-attempt: a corrected phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// ndr-action re-attempt: a corrected address line.
    #[serde(default)]
    pub address: Option<String>,
}

/// An exchange asked for with a return.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeBody {
    /// The lines the customer gets instead (the order's line shape); absent: the returned
    /// lines again (a like-for-like swap).
    #[serde(default)]
    #[schema(min_items = 1)]
    pub items: Option<Vec<OrderLine>>,
    /// `on_pickup` or `at_once`; absent: the configured `returns.replacement_ships`.
    #[serde(default)]
    pub ships: Option<ReplacementShips>,
}

/// An empty body is "no parameters"; otherwise it must be JSON.
fn optional_body<T: for<'de> Deserialize<'de> + Default>(headers: &HeaderMap, body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_json(body)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub shipment_id: i64,
    pub action: &'static str,
    /// The job promised (`assign_awb`, ...).
    pub job: &'static str,
    /// False when the same request had already been recorded (returns).
    pub new: bool,
}

pub(crate) fn require_enabled(state: &AppState) -> ApiResult<()> {
    if state.flags().enabled {
        Ok(())
    } else {
        Err(ApiError::Disabled(
            "shiprocket_disabled",
            "Shiprocket sync is switched off (SHIPROCKET_ENABLED=false)".into(),
        ))
    }
}

pub(crate) async fn load(state: &AppState, id: i64) -> ApiResult<shipment::Model> {
    state.store.shipment(id).await?.ok_or_else(|| ApiError::NotFound(format!("no shipment {id}")))
}

fn ndr_request(s: &shipment::Model, body: &ActionBody, actor: &str) -> ApiResult<NewNdrAction> {
    let action = body.action.as_deref().map(str::trim).unwrap_or_default();
    if !matches!(action, "re-attempt" | "return" | "fake-attempt") {
        return Err(ApiError::field("action", "must be re-attempt, return or fake-attempt"));
    }
    let comments = body.comments.as_deref().map(str::trim).unwrap_or_default();
    if comments.is_empty() {
        return Err(ApiError::field("comments", "is required"));
    }
    if action != "re-attempt" && (body.deferred_date.is_some() || body.phone.is_some() || body.address.is_some()) {
        return Err(ApiError::field("action", "a new date, phone or address only goes with re-attempt"));
    }
    if let Some(d) = body.deferred_date
        && d < Utc::now().date_naive()
    {
        return Err(ApiError::field("deferred_date", "is in the past"));
    }
    let phone = match &body.phone {
        Some(p) => Some(String::from(Phone::parse(p).map_err(|e| match e {
            shipping_domain::DomainError::Invalid { reason, .. } => ApiError::field("phone", reason),
            other => ApiError::field("phone", other.to_string()),
        })?)),
        None => None,
    };
    let address = body.address.as_deref().map(str::trim).map(str::to_owned);
    if address.as_ref().is_some_and(|a| a.chars().count() < 3) {
        return Err(ApiError::field("address", "must be at least 3 characters"));
    }
    Ok(NewNdrAction {
        shipment_id: s.id,
        action: action.to_owned(),
        comments: comments.to_owned(),
        deferred_date: body.deferred_date,
        new_phone: phone,
        new_address: address,
        requested_by: actor.to_owned(),
    })
}

/// Checks an exchange before it is recorded: the replacement (the lines asked for, on the
/// returned parcel's customer and address) must make a valid Shiprocket order under the next
/// exchange's channel order id. Errors name `exchange.items[i].…`.
async fn exchange_request(state: &AppState, s: &shipment::Model, body: &ExchangeBody) -> ApiResult<ExchangeRequest> {
    let in_exchange = |e: ApiError| match e {
        ApiError::Validation { message, fields } => ApiError::Validation {
            message: format!("exchange.{message}"),
            fields: fields.into_iter().map(|f| FieldError { field: format!("exchange.{}", f.field), ..f }).collect(),
        },
        other => other,
    };
    let (_, returned) = state.store.parcel_order(s).await?;
    let replacement =
        replacement_order(&returned, body.items.as_deref(), Utc::now()).map_err(ApiError::from).map_err(in_exchange)?;
    let exchanges = state.store.shipments_of_order(s.order_id).await?.iter().map(|o| o.exchange_number).max();
    let next = u32::try_from(exchanges.unwrap_or(0)).unwrap_or(0) + 1;
    ShiprocketOrderDraft::build(&replacement, &draft_options(state, (next, 0)))
        .map_err(ApiError::from)
        .map_err(in_exchange)?;
    Ok(ExchangeRequest {
        lines: body.items.clone(),
        ships: body.ships.unwrap_or(state.settings.returns.replacement_ships),
    })
}

/// Validates and promises one action on one shipment.
pub(crate) async fn perform(
    state: &AppState,
    caller: &Caller,
    action: Action,
    s: &shipment::Model,
    body: &ActionBody,
) -> ApiResult<Accepted> {
    action.allowed(s).map_err(ApiError::InvalidState)?;
    let shipment_id = s.id;
    let single = |courier_id| ShipmentJobV1 { shipment_id, courier_id };
    let job = match action {
        Action::Sync => Job::SyncOrder(SyncOrderV1 { order_id: s.order_id, shipment_id }),
        Action::AssignAwb => Job::AssignAwb(single(body.courier_id)),
        Action::Label => Job::GenerateLabel(single(None)),
        Action::Pickup => Job::SchedulePickup(single(None)),
        Action::Cancel => {
            if body.courier_id.is_some() {
                return Err(ApiError::field("courier_id", "only goes with assign-awb"));
            }
            state.store.request_cancel(shipment_id, &caller.actor).await?;
            metrics::counter!("shipment_actions_total", "action" => action.path()).increment(1);
            return Ok(Accepted { shipment_id, action: action.path(), job: "cancel_shipment", new: true });
        }
        Action::Manifest => Job::GenerateManifest(ShipmentBatchV1 { shipment_ids: vec![shipment_id] }),
        Action::RefreshTracking => Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: vec![shipment_id] }),
        Action::Return => {
            let reason = body.reason.as_deref().map(str::trim).unwrap_or_default();
            if reason.is_empty() {
                return Err(ApiError::field("reason", "is required"));
            }
            let return_id = body.return_id.clone().unwrap_or_else(|| format!("RET-{}", s.channel_order_id));
            let exchange = match &body.exchange {
                Some(e) => Some(exchange_request(state, s, e).await?),
                None => None,
            };
            let once = state
                .store
                .request_return_and_enqueue(shipment_id, &return_id, reason, exchange.as_ref(), &caller.actor)
                .await?;
            return Ok(Accepted {
                shipment_id,
                action: action.path(),
                job: "create_return",
                new: matches!(once, Once::New(_)),
            });
        }
        Action::NdrAction => {
            let req = ndr_request(s, body, &caller.actor)?;
            state.store.request_ndr_action_and_enqueue(&req).await?;
            return Ok(Accepted { shipment_id, action: action.path(), job: "ndr_action", new: true });
        }
    };
    debug_assert_eq!(job.kind(), action.job_kind(), "Action::job_kind names the job perform promises");
    if action != Action::AssignAwb && body.courier_id.is_some() {
        return Err(ApiError::field("courier_id", "only goes with assign-awb"));
    }
    let details = json!({"courier_id": body.courier_id});
    state.store.enqueue_action(&job, shipment_id, &caller.actor, details).await?;
    metrics::counter!("shipment_actions_total", "action" => action.path()).increment(1);
    Ok(Accepted { shipment_id, action: action.path(), job: job.kind(), new: true })
}

/// `POST /v1/shipments/{id}/{action}`.
#[utoipa::path(post, path = "/v1/shipments/{id}/{action}", tag = "shipments",
    summary = "Promise an action: the shipment's state is checked, the job is queued",
    params(("id" = i64, Path, description = "Shipment id"), ("action" = inline(Action), Path)),
    request_body(content = Option<ActionBody>, description = "Only what the action needs; may be empty"),
    responses(
        (status = 202, description = "The job is promised", body = Accepted),
        (status = 404, description = "No such shipment or action", body = ErrorEnvelope),
        (status = 409, description = "The shipment's state does not allow it", body = ErrorEnvelope),
        (status = 422, description = "A parameter is invalid", body = ErrorEnvelope),
        (status = 503, description = "Shiprocket sync is switched off", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    run_action(&state, &caller, id, Action::parse(&action)?, &headers, &body).await
}

/// `POST /v1/shipments/{id}/label` (its own route because `GET` of the same path gives the
/// label link).
#[utoipa::path(post, path = "/v1/shipments/{id}/label", tag = "shipments",
    summary = "Promise a label (the label action)",
    params(("id" = i64, Path, description = "Shipment id")),
    request_body(content = Option<ActionBody>, description = "Nothing is needed; may be empty"),
    responses(
        (status = 202, description = "The job is promised", body = Accepted),
        (status = 404, description = "No such shipment", body = ErrorEnvelope),
        (status = 409, description = "The shipment has no AWB yet, or is past pickup", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn generate_label(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    run_action(&state, &caller, id, Action::Label, &headers, &body).await
}

async fn run_action(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: Action,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let body: ActionBody = optional_body(headers, body)?;
    let state = state.clone();
    let caller = caller.clone();
    require_enabled(&state)?;
    let s = load(&state, id).await?;
    let accepted = perform(&state, &caller, action, &s, &body).await?;
    tracing::info!(shipment_id = id, action = action.path(), actor = %caller.actor, "action accepted");
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    pub ids: Vec<i64>,
    #[serde(default)]
    pub courier_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkItem {
    pub id: i64,
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub action: &'static str,
    pub accepted: usize,
    pub rejected: usize,
    pub results: Vec<BulkItem>,
}

pub(crate) const MAX_BULK: usize = 500;

/// `POST /v1/shipments/bulk/{action}` with `{"ids": [...]}`: each id is checked on its own;
/// the accepted ones are promised (manifest and refresh-tracking as one batch job). Returns
/// and NDR decisions need per-shipment details and have no bulk form.
#[utoipa::path(post, path = "/v1/shipments/bulk/{action}", tag = "shipments",
    summary = "The same action on many shipments (not return or ndr-action)",
    params(("action" = inline(Action), Path)),
    request_body = BulkBody,
    responses(
        (status = 202, description = "At least one shipment accepted; each id has its result", body = BulkResult),
        (status = 409, description = "None accepted; each id says why", body = BulkResult),
        (status = 422, description = "No ids, or too many", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn bulk_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(action): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BulkResult>)> {
    let action = Action::parse(&action)?;
    if matches!(action, Action::Return | Action::NdrAction) {
        return Err(ApiError::NotFound(format!("{} has no bulk form", action.path())));
    }
    if !headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"))
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body: BulkBody = parse_json(&body)?;
    let result = bulk(&state, &caller, action, body.ids, body.courier_id).await?;
    let status = if result.accepted > 0 { StatusCode::ACCEPTED } else { StatusCode::CONFLICT };
    Ok((status, Json(result)))
}

/// Checks and promises `action` for each of `ids` (the JSON route and the admin pages' bulk
/// form share it): manifest and refresh-tracking as one batch job, the rest one job each.
pub(crate) async fn bulk(
    state: &AppState,
    caller: &Caller,
    action: Action,
    ids: Vec<i64>,
    courier_id: Option<i64>,
) -> ApiResult<BulkResult> {
    if matches!(action, Action::Return | Action::NdrAction) {
        return Err(ApiError::NotFound(format!("{} has no bulk form", action.path())));
    }
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(ApiError::field("ids", format!("must list 1 to {MAX_BULK} shipment ids")));
    }
    require_enabled(state)?;
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    let mut results = Vec::with_capacity(ids.len());
    let batch = matches!(action, Action::Manifest | Action::RefreshTracking);
    let mut batch_ids = Vec::new();
    let per = ActionBody { courier_id, ..ActionBody::default() };
    for id in ids {
        let outcome = match state.store.shipment(id).await? {
            None => Err(format!("no shipment {id}")),
            Some(s) if batch => action.allowed(&s).map(|()| batch_ids.push(id)),
            Some(s) => match perform(state, caller, action, &s, &per).await {
                Ok(_) => Ok(()),
                Err(ApiError::Internal(e)) => return Err(ApiError::Internal(e)),
                Err(e) => Err(e.to_string()),
            },
        };
        results.push(BulkItem { id, accepted: outcome.is_ok(), error: outcome.err() });
    }
    if batch && !batch_ids.is_empty() {
        let job = match action {
            Action::Manifest => Job::GenerateManifest(ShipmentBatchV1 { shipment_ids: batch_ids.clone() }),
            _ => Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: batch_ids.clone() }),
        };
        let first = batch_ids.first().copied().unwrap_or_default();
        state.store.enqueue_action(&job, first, &caller.actor, json!({"shipment_ids": batch_ids})).await?;
    }
    let accepted = results.iter().filter(|r| r.accepted).count();
    Ok(BulkResult { action: action.path(), accepted, rejected: results.len() - accepted, results })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShipmentDetail {
    #[serde(flatten)]
    pub shipment: ShipmentView,
    pub shop_order_id: String,
    pub tracking_url: String,
    pub timeline: Vec<TimelineEntry>,
    /// Customer returns, oldest first.
    pub returns: Vec<ReturnView>,
}

/// `GET /v1/shipments/{id}`.
#[utoipa::path(get, path = "/v1/shipments/{id}", tag = "shipments",
    summary = "One shipment with its timeline",
    params(("id" = i64, Path, description = "Shipment id")),
    responses((status = 200, body = ShipmentDetail), (status = 404, description = "No such shipment", body = ErrorEnvelope)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ShipmentDetail>> {
    let s = load(&state, id).await?;
    let order = state.store.order(s.order_id).await?.map(|o| o.shop_order_id).unwrap_or_default();
    let timeline = state.store.tracking_events(id).await?.iter().map(TimelineEntry::from).collect();
    let mut returns = Vec::new();
    for r in state.store.returns_of_shipment(id).await? {
        returns.push(ReturnView::load(&state, r).await?);
    }
    Ok(Json(ShipmentDetail {
        shipment: ShipmentView::from(&s),
        shop_order_id: order,
        tracking_url: tracking_url(&state, &s.tracking_token),
        timeline,
        returns,
    }))
}

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

fn parse_time(field: &str, v: &str, end_of_day: bool) -> ApiResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| ApiError::field(field, "must be YYYY-MM-DD or an RFC 3339 time"))?;
    let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_time(chrono::NaiveTime::MIN).and_utc())
}

pub(crate) fn filter(q: &ListQuery, max: u64, default: u64) -> ApiResult<ShipmentFilter> {
    if let Some(s) = &q.status
        && ShipmentState::from_name(s, 0).is_none()
    {
        return Err(ApiError::field("status", "is not a shipment state (e.g. in_transit, ndr, delivered)"));
    }
    if let Some(s) = &q.sync_status
        && !matches!(s.as_str(), "pending" | "in_progress" | "synced" | "failed")
    {
        return Err(ApiError::field("sync_status", "must be pending, in_progress, synced or failed"));
    }
    let attention = match (&q.attention, q.needs_attention) {
        (Some(code), Some(false)) => {
            return Err(ApiError::field("attention", format!("{code:?} contradicts needs_attention=false")));
        }
        (Some(code), _) => Some(AttentionFilter::Reason(AttentionReason::from_code(code).ok_or_else(|| {
            let known: Vec<&str> = AttentionReason::ALL.iter().map(|r| r.code()).collect();
            ApiError::field("attention", format!("is not one of {}", known.join(", ")))
        })?)),
        (None, Some(true)) => Some(AttentionFilter::Any),
        (None, Some(false)) => Some(AttentionFilter::None),
        (None, None) => None,
    };
    Ok(ShipmentFilter {
        attention,
        state: q.status.as_deref().and_then(|s| ShipmentState::from_name(s, 0)),
        sync_status: q.sync_status.as_deref().and_then(shipping_domain::SyncStatus::from_name),
        courier: q.courier.clone(),
        created_from: q.from.as_deref().map(|v| parse_time("from", v, false)).transpose()?,
        created_to: q.to.as_deref().map(|v| parse_time("to", v, true)).transpose()?,
        search: q.search.clone(),
        before_id: q.before,
        limit: q.limit.unwrap_or(default).clamp(1, max),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListItem {
    #[serde(flatten)]
    pub shipment: ShipmentView,
    pub shop_order_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListPage {
    pub items: Vec<ListItem>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// `GET /v1/shipments?status=&sync_status=&courier=&from=&to=&limit=&before=`, newest first.
#[utoipa::path(get, path = "/v1/shipments", tag = "shipments",
    summary = "Shipments, filtered, newest first (keyset pages)",
    params(ListQuery),
    responses((status = 200, body = ListPage), (status = 422, description = "A filter is invalid", body = ErrorEnvelope)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListPage>> {
    let f = filter(&q, 200, 50)?;
    let rows = state.store.list_shipments(&f).await?;
    let next_before = (rows.len() as u64 == f.limit).then(|| rows.last().map(|r| r.shipment.id)).flatten();
    let items = rows
        .iter()
        .map(|r| ListItem { shipment: ShipmentView::from(&r.shipment), shop_order_id: r.shop_order_id.clone() })
        .collect();
    Ok(Json(ListPage { items, next_before }))
}

fn csv_field(v: &str) -> String {
    // Also defuses spreadsheet formulas in free text.
    let v = if v.starts_with(['=', '+', '-', '@']) { format!("'{v}") } else { v.to_owned() };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

/// `GET /v1/shipments.csv` with the list's filters (up to 10,000 rows).
#[utoipa::path(get, path = "/v1/shipments.csv", tag = "shipments",
    summary = "The same list as CSV (up to 10,000 rows)",
    params(ListQuery),
    responses(
        (status = 200, description = "One row per shipment", content_type = "text/csv", body = String),
        (status = 422, description = "A filter is invalid", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn export_csv(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    csv_response(&state, &q).await
}

/// The CSV export of the shipments matching `q` (the JSON route and the admin pages).
pub(crate) async fn csv_response(state: &AppState, q: &ListQuery) -> ApiResult<Response> {
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
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"shipments.csv\""),
        ],
        out,
    )
        .into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LabelLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

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
    load(&state, id).await?;
    if state.store.latest_document(id, "label").await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "shipment {id} has no label yet; POST /v1/shipments/{id}/label to generate one"
        )));
    }
    let ttl = i64::try_from(state.settings.auth.label_url_ttl_secs).unwrap_or(900);
    let expires = Utc::now().timestamp() + ttl;
    let sig = sign_label(&state.signing_key, id, expires);
    let base = state.settings.server.public_base_url.trim_end_matches('/');
    Ok(Json(LabelLink {
        url: format!("{base}/v1/labels/{id}?expires={expires}&sig={sig}"),
        expires_at: DateTime::from_timestamp(expires, 0).unwrap_or_else(Utc::now),
    }))
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
) -> ApiResult<Response> {
    verify_label(&state.signing_key, id, q.expires, &q.sig, Utc::now().timestamp())?;
    let doc = state
        .store
        .latest_document(id, "label")
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("shipment {id} has no label")))?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type.clone()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"label-{id}.pdf\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        doc.content,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsZipBody {
    pub ids: Vec<i64>,
}

pub(crate) const MAX_ZIP: usize = 200;

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
) -> ApiResult<Response> {
    zip_response(&state, body.ids).await
}

/// The current labels of `ids` as one ZIP (the JSON route and the admin pages).
pub(crate) async fn zip_response(state: &AppState, ids: Vec<i64>) -> ApiResult<Response> {
    if ids.is_empty() || ids.len() > MAX_ZIP {
        return Err(ApiError::field("ids", format!("must list 1 to {MAX_ZIP} shipment ids")));
    }
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    let mut docs = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match state.store.latest_document(id, "label").await? {
            Some(d) => docs.push((id, d.content)),
            None => missing.push(id),
        }
    }
    if docs.is_empty() {
        return Err(ApiError::NotFound("none of these shipments has a label yet".into()));
    }
    let bytes = tokio::task::spawn_blocking(move || write_zip(&docs, &missing))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"labels.zip\""),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}

fn write_zip(docs: &[(i64, Vec<u8>)], missing: &[i64]) -> Result<Vec<u8>, zip::result::ZipError> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // PDFs are compressed inside already: stored is as small and much cheaper.
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (id, content) in docs {
        out.start_file(format!("label-{id}.pdf"), opts)?;
        out.write_all(content)?;
    }
    if !missing.is_empty() {
        out.start_file("missing.txt", opts)?;
        let list = missing.iter().map(|id| format!("shipment {id}: no label yet\n")).collect::<String>();
        out.write_all(list.as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}
