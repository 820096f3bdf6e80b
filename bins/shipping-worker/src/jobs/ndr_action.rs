//! `ndr_action`: send a recorded NDR decision (re-attempt on a date or with a corrected phone or
//! address, or return) to Shiprocket, once.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::queue::JobFailure;
use shipping_domain::SendStatus;
use shipping_store::jobs::NdrActionV1;
use shiprocket_client::endpoints::ndr::{NdrAction, NdrActionBody, NdrActionKind};

pub async fn run(ctx: &Context, job: &NdrActionV1) -> Result<(), JobFailure> {
    let Some(row) = ctx.store.ndr_action(job.ndr_action_id).await.job()? else {
        return Err(failure::permanent(format!("NDR action {} does not exist", job.ndr_action_id)));
    };
    if shipping_store::ndr_action_status_of(&row).job()? == SendStatus::Sent {
        return Ok(());
    }
    let s = crate::progress::load(&ctx.store, row.shipment_id).await?;
    let awb = s.awb.ok_or_else(|| failure::permanent("an NDR action for a shipment without AWB"))?;
    let action = match row.action.as_str() {
        "re-attempt" | "reattempt" => NdrActionKind::ReAttempt,
        "return" => NdrActionKind::Return,
        "fake-attempt" => NdrActionKind::FakeAttempt,
        other => return Err(failure::permanent(format!("unknown NDR action {other:?}"))),
    };
    let request = NdrAction {
        awb,
        body: NdrActionBody {
            action,
            comments: row.comments.clone(),
            phone: row.new_phone.clone(),
            address1: row.new_address.clone(),
            address2: None,
            deferred_date: row.deferred_date.map(|d| d.format("%Y-%m-%d").to_string()),
        },
    };
    match ctx.shiprocket.send(&request).await {
        Ok(_) => ctx.store.record_ndr_action_outcome(row.id, None).await.job(),
        Err(e) => {
            let f = failure::from_api(&e);
            if matches!(f, JobFailure::Permanent { .. }) {
                ctx.store.record_ndr_action_outcome(row.id, Some(&e.to_string())).await.job()?;
            }
            Err(f)
        }
    }
}
