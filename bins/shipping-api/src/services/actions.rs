//! Promising shipment actions, one or in bulk: the shipment's state is checked, the action's
//! details validated (NDR decisions, returns and exchanges), and the job promised (an outbox
//! row, with an audit row, in one transaction). The worker does the Shiprocket calls.

use super::catalogue::{Action, ActionCatalogue};
use super::orders::draft_options;
use super::{ServiceError, ServiceResult, distinct_ids, invalid, require_enabled};
use crate::auth::Caller;
use crate::error::FieldError;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shipping_domain::{NdrDecision, OrderLine, Phone, ReplacementShips, ShiprocketOrderDraft, replacement_order};
use shipping_store::api_queries::NewNdrAction;
use shipping_store::entities::shipment;
use shipping_store::jobs::{Job, ShipmentBatchV1, ShipmentJobV1, SyncOrderV1};
use shipping_store::steps::{state_of, sync_status_of};
use shipping_store::{ExchangeRequest, Once};

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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub shipment_id: i64,
    pub action: &'static str,
    /// The job promised (`assign_awb`, ...).
    pub job: &'static str,
    /// False when the same request had already been recorded (returns).
    pub new: bool,
}

/// The NDR decision `body` asks for, checked: a known decision, comments, and a new date, phone
/// or address only with a re-attempt.
fn ndr_request(s: &shipment::Model, body: &ActionBody, actor: &str) -> ServiceResult<NewNdrAction> {
    let decision = NdrDecision::from_name(body.action.as_deref().map(str::trim).unwrap_or_default())
        .ok_or_else(|| ServiceError::field("action", "must be re-attempt, return or fake-attempt"))?;
    let comments = body.comments.as_deref().map(str::trim).unwrap_or_default();
    if comments.is_empty() {
        return Err(ServiceError::field("comments", "is required"));
    }
    if !decision.takes_corrections() && (body.deferred_date.is_some() || body.phone.is_some() || body.address.is_some())
    {
        return Err(ServiceError::field("action", "a new date, phone or address only goes with re-attempt"));
    }
    if let Some(d) = body.deferred_date
        && d < Utc::now().date_naive()
    {
        return Err(ServiceError::field("deferred_date", "is in the past"));
    }
    let phone = match &body.phone {
        Some(p) => Some(String::from(Phone::parse(p).map_err(|e| invalid("phone", e))?)),
        None => None,
    };
    let address = body.address.as_deref().map(str::trim).map(str::to_owned);
    if address.as_ref().is_some_and(|a| a.chars().count() < 3) {
        return Err(ServiceError::field("address", "must be at least 3 characters"));
    }
    Ok(NewNdrAction {
        shipment_id: s.id,
        action: decision.name().to_owned(),
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
async fn exchange_request(
    state: &AppState,
    s: &shipment::Model,
    body: &ExchangeBody,
) -> ServiceResult<ExchangeRequest> {
    let in_exchange = |e: ServiceError| match e {
        ServiceError::Invalid { message, fields } => ServiceError::Invalid {
            message: format!("exchange.{message}"),
            fields: fields.into_iter().map(|f| FieldError { field: format!("exchange.{}", f.field), ..f }).collect(),
        },
        other => other,
    };
    let (_, returned) = state.store.parcel_order(s).await?;
    let replacement = replacement_order(&returned, body.items.as_deref(), Utc::now())
        .map_err(ServiceError::from)
        .map_err(in_exchange)?;
    let next = state.store.next_exchange_number(s.order_id).await?;
    ShiprocketOrderDraft::build(&replacement, &draft_options(state, (next, 0)))
        .map_err(ServiceError::from)
        .map_err(in_exchange)?;
    Ok(ExchangeRequest {
        lines: body.items.clone(),
        ships: body.ships.unwrap_or(state.settings.returns.replacement_ships),
    })
}

/// Validates and promises one action on one shipment.
pub async fn perform(
    state: &AppState,
    caller: &Caller,
    action: Action,
    s: &shipment::Model,
    body: &ActionBody,
) -> ServiceResult<Accepted> {
    action.check(s).map_err(ServiceError::InvalidState)?;
    let shipment_id = s.id;
    let single = |courier_id| ShipmentJobV1 { shipment_id, courier_id };
    let job = match action {
        Action::Sync => Job::SyncOrder(SyncOrderV1 { order_id: s.order_id, shipment_id }),
        Action::AssignAwb => Job::AssignAwb(single(body.courier_id)),
        Action::Label => Job::GenerateLabel(single(None)),
        Action::Pickup => Job::SchedulePickup(single(None)),
        Action::Cancel => {
            if body.courier_id.is_some() {
                return Err(ServiceError::field("courier_id", "only goes with assign-awb"));
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
                return Err(ServiceError::field("reason", "is required"));
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
        return Err(ServiceError::field("courier_id", "only goes with assign-awb"));
    }
    let details = json!({"courier_id": body.courier_id});
    state.store.enqueue_action(&job, shipment_id, &caller.actor, details).await?;
    metrics::counter!("shipment_actions_total", "action" => action.path()).increment(1);
    Ok(Accepted { shipment_id, action: action.path(), job: job.kind(), new: true })
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

pub const MAX_BULK: usize = 500;

/// Checks and promises `action` for each of `ids` (the JSON route and the admin pages' bulk
/// form share it): manifest and refresh-tracking as one batch job, the rest one job each.
pub async fn bulk(
    state: &AppState,
    caller: &Caller,
    action: Action,
    ids: Vec<i64>,
    courier_id: Option<i64>,
) -> ServiceResult<BulkResult> {
    if !action.has_bulk_form() {
        return Err(ServiceError::NotFound(format!("{} has no bulk form", action.path())));
    }
    let ids = distinct_ids(ids, MAX_BULK)?;
    require_enabled(state)?;
    let mut results = Vec::with_capacity(ids.len());
    let batch = action.is_batched();
    let mut batch_ids = Vec::new();
    let per = ActionBody { courier_id, ..ActionBody::default() };
    for id in ids {
        let outcome = match state.store.shipment(id).await? {
            None => Err(format!("no shipment {id}")),
            Some(s) if batch => action.check(&s).map(|()| batch_ids.push(id)),
            Some(s) => match perform(state, caller, action, &s, &per).await {
                Ok(_) => Ok(()),
                Err(ServiceError::Internal(e)) => return Err(ServiceError::Internal(e)),
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

/// How far a promised bulk action has got for one shipment: whether its effect shows yet
/// (`done`), and whether it cannot come any more (`failed`: the shipment was cancelled
/// meanwhile, or the sync failed). `labelled`: the shipment has a label; `since`: when the
/// action was promised.
pub fn progress_of(action: Action, s: &shipment::Model, labelled: bool, since: DateTime<Utc>) -> (bool, bool) {
    use shipping_domain::{ShipmentState as S, SyncStatus};
    let state = state_of(s).ok();
    let sync = sync_status_of(s).ok();
    let cancelled = state == Some(S::Cancelled);
    match action {
        Action::Sync => (sync == Some(SyncStatus::Synced), sync == Some(SyncStatus::Failed)),
        Action::AssignAwb => (s.awb.is_some(), cancelled),
        Action::Label => (labelled, cancelled),
        Action::Pickup => (!matches!(state, Some(S::Synced | S::AwbAssigned | S::LabelReady)) && !cancelled, cancelled),
        Action::RefreshTracking => (s.last_polled_at.is_some_and(|t| t >= since), false),
        Action::Cancel => (cancelled, false),
        Action::Manifest | Action::Return | Action::NdrAction => (false, false),
    }
}
