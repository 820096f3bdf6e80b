//! `send_notification`: render and send one queued e-mail, once. The notification row (unique
//! per shipment and kind) is the promise; `sent` is recorded after the send.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::mail::Email;
use crate::queue::JobFailure;
use crate::templates::{Facts, render};
use shipping_domain::{MailKind, SendStatus};
use shipping_store::jobs::SendNotificationV1;

pub async fn run(ctx: &Context, job: &SendNotificationV1) -> Result<(), JobFailure> {
    let Some(note) = ctx.store.notification(job.notification_id).await.job()? else {
        return Err(failure::permanent(format!("notification {} does not exist", job.notification_id)));
    };
    if shipping_store::notification_status_of(&note).job()? == SendStatus::Sent {
        return Ok(());
    }
    let s = crate::progress::load(&ctx.store, note.shipment_id).await?;
    // Queued before a cancel, sent after it: the customer hears only of the cancel.
    let allowed = MailKind::from_code(&note.kind).is_none_or(MailKind::allowed_after_cancel);
    if s.cancel_requested_at.is_some() && !allowed {
        return ctx.store.mark_notification(note.id, Some("not sent: the shipment was cancelled")).await.job();
    }
    let (o, shop_order) = crate::progress::shop_order(&ctx.store, &s).await?;
    // The customer's tracking page (timeline, NDR form), not the JSON route.
    let tracking_url = format!("{}/track/{}", ctx.settings.public_base_url.trim_end_matches('/'), s.tracking_token);
    let facts = Facts {
        shop_name: &ctx.settings.shop_name,
        order_id: &o.shop_order_id,
        first_name: &shop_order.billing.first_name,
        tracking_url: &tracking_url,
        courier: s.courier_name.as_deref(),
        awb: s.awb.as_deref(),
        sync_error: s.sync_error.as_deref(),
    };
    let Some(text) = render(&note.kind, &facts) else {
        ctx.store.mark_notification(note.id, Some("no template for this kind")).await.job()?;
        return Ok(());
    };
    let to = if note.kind.starts_with("admin_") {
        ctx.settings.admin_email.clone()
    } else {
        shop_order.customer.email.as_ref().to_owned()
    };
    match ctx.mailer.send(&format!("notification-{}", note.id), &Email::new(&ctx.settings.mail_from, &to, text)).await {
        Ok(()) => {
            crate::failpoint!("send_notification.before_commit");
            ctx.store.mark_notification(note.id, None).await.job()?;
            crate::failpoint!("send_notification.after_commit");
            Ok(())
        }
        Err(reason) => Err(JobFailure::retry(reason)),
    }
}
