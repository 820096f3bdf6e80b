//! The reconciler (once per fleet, every few minutes; ADR 0008): every non-terminal state has a
//! deadline (`shipping_domain::lifecycle`). A shipment waiting past it gets its missing step
//! promised again — jobs are idempotent, so a step that did happen is a no-op — a few times;
//! after that it needs a person, with the reason. Each re-promise commits with its count, and
//! is skipped when the shipment moved since it was read.

use crate::context::Context;
use crate::failure::StoreResultExt;
use crate::queue::JobFailure;
use chrono::Utc;
use shipping_domain::{Missing, Remedy, ShipmentState, reconcile_remedy, reconcile_watch};
use shipping_store::Waiting;
use shipping_store::entities::shipment;
use shipping_store::jobs::{Job, ReturnBatchV1, ShipmentBatchV1, ShipmentJobV1, SyncOrderV1};
use std::time::Duration;

/// At most this many shipments per wait and tick (the rest wait for the next tick).
const LIMIT: u64 = 1_000;

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub repromised: usize,
    pub flagged: usize,
}

fn jobs_for(missing: Missing, s: &shipment::Model) -> Vec<Job> {
    let one = || ShipmentJobV1 { shipment_id: s.id, courier_id: None };
    match missing {
        Missing::Sync => vec![Job::SyncOrder(SyncOrderV1 { order_id: s.order_id, shipment_id: s.id })],
        Missing::Awb => vec![Job::AssignAwb(one())],
        Missing::LabelAndPickup => vec![Job::GenerateLabel(one()), Job::SchedulePickup(one())],
        Missing::Pickup => vec![Job::SchedulePickup(one())],
        Missing::TrackingPoll => vec![Job::RefreshTracking(ShipmentBatchV1 { shipment_ids: vec![s.id] })],
        Missing::Cancel => vec![Job::CancelShipment(one())],
    }
}

/// A poll of the shipment's returns that are still on their way (none: nothing to poll, the
/// re-promise is only counted and the shipment needs attention after the last one).
async fn return_polls(ctx: &Context, s: &shipment::Model) -> Result<Vec<Job>, JobFailure> {
    let mut open = Vec::new();
    for r in ctx.store.returns_of_shipment(s.id).await.job()? {
        if r.awb.is_some() && !shipping_store::return_state(&r).job()?.is_terminal() {
            open.push(r.id);
        }
    }
    Ok(if open.is_empty() { vec![] } else { vec![Job::RefreshReturns(ReturnBatchV1 { return_ids: open })] })
}

fn missing_name(m: Missing) -> &'static str {
    match m {
        Missing::Sync => "sync",
        Missing::Awb => "awb",
        Missing::LabelAndPickup => "label_and_pickup",
        Missing::Pickup => "pickup",
        Missing::TrackingPoll => "tracking_poll",
        Missing::Cancel => "cancel",
    }
}

/// The states watched, grouped by what they wait for.
fn waits(ctx: &Context) -> Vec<(Duration, Missing, Vec<ShipmentState>)> {
    let mut groups: Vec<(Duration, Missing, Vec<ShipmentState>)> = Vec::new();
    for state in ShipmentState::ALL {
        let Some((after, missing)) = reconcile_watch(state, false, ctx.settings.auto_ship, &ctx.settings.reconcile)
        else {
            continue;
        };
        match groups.iter_mut().find(|(a, m, _)| *a == after && *m == missing) {
            Some(g) => g.2.push(state),
            None => groups.push((after, missing, vec![state])),
        }
    }
    groups
}

pub async fn run(ctx: &Context) -> Result<Reconciled, JobFailure> {
    let rules = ctx.settings.reconcile;
    let now = Utc::now();
    let cutoff = |after: Duration| now - chrono::Duration::from_std(after).unwrap_or(chrono::Duration::days(3650));
    let mut overdue: Vec<(Missing, shipment::Model)> = Vec::new();
    for (after, missing, states) in waits(ctx) {
        let found = ctx.store.overdue(Waiting::InStates(&states), cutoff(after), LIMIT).await.job()?;
        overdue.extend(found.into_iter().map(|s| (missing, s)));
    }
    let cancels = ctx.store.overdue(Waiting::ForCancel, cutoff(rules.cancel), LIMIT).await.job()?;
    overdue.extend(cancels.into_iter().map(|s| (Missing::Cancel, s)));

    let mut done = Reconciled::default();
    for (missing, s) in overdue {
        let attempts = u32::try_from(s.reconcile_attempts).unwrap_or(u32::MAX);
        let state = shipping_store::state_of(&s).job()?;
        match reconcile_remedy(missing, attempts, &rules) {
            Remedy::Promise(m) => {
                let jobs = match (m, state) {
                    // A parcel on its way back: ask about the return's AWB, not the forward one.
                    (Missing::TrackingPoll, ShipmentState::ReturnRequested | ShipmentState::ReturnPickedUp) => {
                        return_polls(ctx, &s).await?
                    }
                    _ => jobs_for(m, &s),
                };
                if ctx.store.repromise(s.id, s.waiting_since, &jobs).await.job()? {
                    metrics::counter!("reconciler_repromised_total", "missing" => missing_name(m)).increment(1);
                    tracing::info!(
                        shipment_id = s.id,
                        state = state.name(),
                        missing = missing_name(m),
                        attempt = attempts + 1,
                        "overdue: step promised again"
                    );
                    done.repromised += 1;
                }
            }
            Remedy::Attention(reason) => {
                let message = format!(
                    "{} since {} although its next step ({}) was promised again {attempts} times",
                    state.name(),
                    s.waiting_since.map_or_else(|| "?".to_owned(), |t| t.to_rfc3339()),
                    missing_name(missing),
                );
                ctx.store.flag_needs_attention(s.id, reason, &message).await.job()?;
                metrics::counter!("reconciler_flagged_total", "reason" => reason.code()).increment(1);
                tracing::warn!(shipment_id = s.id, reason = reason.code(), "overdue: the shipment needs attention");
                done.flagged += 1;
            }
        }
    }
    Ok(done)
}
