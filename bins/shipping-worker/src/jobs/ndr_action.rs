//! `ndr_action`: send a recorded NDR decision (re-attempt on a date or with a corrected phone or
//! address, or return) to Shiprocket, once.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::queue::JobFailure;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use shipping_store::entities::ndr_action;
use shipping_store::jobs::NdrActionV1;
use shipping_store::now;
use shiprocket_client::endpoints::ndr::{NdrAction, NdrActionBody, NdrActionKind};

pub async fn run(ctx: &Context, job: &NdrActionV1) -> Result<(), JobFailure> {
    let Some(row) = ndr_action::Entity::find_by_id(job.ndr_action_id).one(ctx.store.db()).await.job()? else {
        return Err(failure::permanent(format!("NDR action {} does not exist", job.ndr_action_id)));
    };
    if row.status == "sent" {
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
    let result = ctx.shiprocket.send(&request).await;
    let mut active = row.into_active_model();
    match result {
        Ok(_) => {
            active.status = Set("sent".into());
            active.sent_at = Set(Some(now()));
            active.update(ctx.store.db()).await.job()?;
            Ok(())
        }
        Err(e) => {
            let f = failure::from_api(&e);
            if matches!(f, JobFailure::Permanent { .. }) {
                active.status = Set("failed".into());
                active.error = Set(Some(e.to_string()));
                active.update(ctx.store.db()).await.job()?;
            }
            Err(f)
        }
    }
}
