//! The upstream adapter: Shiprocket's serviceability answer, with a timeout and a metric, as
//! what the cache stores.

use super::CourierRate;
use super::cache::Cached;
use crate::state::AppState;
use shipping_domain::{CourierOffer, quote_of};
use shiprocket_client::Error as SrError;
use shiprocket_client::endpoints::serviceability::{CheckServiceability, CourierOption, Serviceability};
use std::time::{Duration, Instant};

/// Shiprocket's answer as the cache keeps it: the unblocked couriers, priced by the domain's
/// quote mapping (the worker's AWB assignment reads the same answer the same way).
fn normalise(s: &Serviceability) -> Cached {
    let couriers = s
        .couriers
        .iter()
        .filter(|c| !c.blocked)
        .map(|c| {
            let quote = quote_of(&offer(c));
            CourierRate {
                courier_id: quote.courier_id,
                name: quote.name,
                rate_paise: quote.rate.paise(),
                rate: quote.rate.to_rupees_string(),
                etd_days: quote.etd_days,
                etd: c.etd,
                cod_available: quote.cod_available,
                rating: quote.rating,
            }
        })
        .collect::<Vec<_>>();
    Cached { serviceable: !couriers.is_empty(), couriers, shiprocket_recommended: s.recommended_courier_company_id }
}

/// A serviceability row in the domain's terms.
fn offer(c: &CourierOption) -> CourierOffer<'_> {
    let (courier_id, name, rate) = (c.courier_company_id, c.courier_name.as_str(), c.rate);
    CourierOffer { courier_id, name, rate, etd_days: c.estimated_delivery_days, rating: c.rating, cod: c.cod }
}

/// Asks Shiprocket; `Ok` includes "not serviceable" (a cacheable answer).
pub async fn upstream(state: &AppState, req: &CheckServiceability) -> Result<Cached, String> {
    let client = state.shiprocket.as_ref().ok_or_else(|| "the Shiprocket client is not configured".to_owned())?;
    let timeout = Duration::from_millis(state.settings.rates.upstream_timeout_ms);
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, client.send(req)).await;
    let (label, out) = match result {
        Err(_) => ("timeout", Err("Shiprocket did not answer in time".to_owned())),
        Ok(Ok(s)) => ("ok", Ok(normalise(&s))),
        Ok(Err(SrError::NotServiceable { .. })) => {
            ("not_serviceable", Ok(Cached { serviceable: false, couriers: vec![], shiprocket_recommended: None }))
        }
        Ok(Err(e)) => (e.class(), Err(format!("Shiprocket call failed ({})", e.class()))),
    };
    metrics::histogram!("shiprocket_call_duration_seconds", "endpoint" => "courier.serviceability", "outcome" => label)
        .record(started.elapsed().as_secs_f64());
    out
}
