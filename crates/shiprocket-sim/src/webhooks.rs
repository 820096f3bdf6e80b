//! Delivers tracking webhooks the way Shiprocket does: a JSON POST with the static token in
//! `x-api-key`, one delivery per change, no retries (lost webhooks are the poller's problem).

use crate::Shared;
use crate::world::WebhookRecord;
use serde_json::Value;

/// Applies what fell due on the clock, then delivers queued webhooks in order.
pub(crate) async fn process_and_deliver(shared: &Shared) {
    // One deliverer at a time keeps the order of webhooks.
    let _turn = shared.delivery.lock().await;
    let batch: Vec<Value> = {
        let mut w = shared.world();
        w.process_due();
        w.webhook_queue.drain(..).collect()
    };
    let url = shared.webhook_url.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for payload in batch {
        let response_status = match &url {
            Some(url) => deliver(shared, url, &payload).await,
            None => None,
        };
        let record = WebhookRecord {
            awb: payload["awb"].as_str().unwrap_or_default().to_owned(),
            current_status_id: u32::try_from(payload["current_status_id"].as_u64().unwrap_or_default())
                .unwrap_or_default(),
            shipment_status_id: u32::try_from(payload["shipment_status_id"].as_u64().unwrap_or_default())
                .unwrap_or_default(),
            api_key_sent: shared.webhook_token.is_some() && url.is_some(),
            payload,
            response_status,
        };
        shared.world().webhooks.push(record);
    }
}

async fn deliver(shared: &Shared, url: &str, payload: &Value) -> Option<u16> {
    let mut req = shared.http.post(url).json(payload);
    if let Some(token) = &shared.webhook_token {
        req = req.header("x-api-key", token);
    }
    match req.send().await {
        Ok(resp) => Some(resp.status().as_u16()),
        Err(e) => {
            tracing::warn!(error = %e.without_url(), "webhook delivery failed");
            None
        }
    }
}
