//! `create_return`: the Shiprocket return order (a reverse shipment from the customer back to
//! the warehouse). Recording it promises the next step, `assign_return_awb` (see
//! [`super::returns`]), in the same transaction.

use crate::context::Context;
use crate::failure::{self, StoreResultExt};
use crate::queue::JobFailure;
use shipping_store::jobs::CreateReturnV1;
use shipping_store::now;
use shiprocket_client::Error as Api;
use shiprocket_client::endpoints::orders::ListOrders;
use shiprocket_client::endpoints::pickup_locations::ListPickupLocations;
use shiprocket_client::endpoints::returns::{CreateReturn, ReturnItem};

pub async fn run(ctx: &Context, job: &CreateReturnV1) -> Result<(), JobFailure> {
    let row = super::returns::load(ctx, job.return_id).await?;
    if row.awb.is_some() || shipping_store::return_state(&row).job()?.is_terminal() {
        return Ok(());
    }
    // Created by an earlier attempt: promise the AWB step again (the store does it once).
    if let (Some(sr_order), Some(sr_shipment)) = (row.sr_order_id, row.sr_shipment_id) {
        return ctx.store.record_return_created(row.id, sr_order, sr_shipment).await.job();
    }
    let s = crate::progress::load(&ctx.store, row.shipment_id).await?;
    let (_, shop) = crate::progress::shop_order(&ctx.store, &s).await?;
    let warehouse = ctx
        .shiprocket
        .send(&ListPickupLocations)
        .await
        .map_err(|e| failure::from_api(&e))?
        .locations
        .into_iter()
        .find(|l| l.pickup_location == ctx.settings.pickup_location)
        .ok_or_else(|| {
            failure::permanent(format!("pickup location {:?} not found at Shiprocket", ctx.settings.pickup_location))
        })?;
    let from = shop.shipping.as_ref().unwrap_or(&shop.billing);
    let items: Vec<ReturnItem> = shop
        .items
        .iter()
        .map(|i| ReturnItem {
            name: i.name.clone(),
            sku: i.sku.clone(),
            units: u64::from(i.units),
            selling_price: i.unit_price.as_rupees_f64(),
            discount: None,
            hsn: i.hsn.clone(),
            return_reason: Some(row.reason.clone()),
        })
        .collect();
    let sub_total: f64 = shop.items.iter().map(|i| i.unit_price.as_rupees_f64() * f64::from(i.units)).sum();
    let d = ctx.settings.package_defaults;
    let request = CreateReturn {
        order_id: row.channel_return_id.clone(),
        order_date: now().format("%Y-%m-%d").to_string(),
        channel_id: None,
        pickup_customer_name: from.first_name.clone(),
        pickup_last_name: from.last_name.clone(),
        pickup_address: from.line1.clone(),
        pickup_address_2: from.line2.clone(),
        pickup_city: from.city.clone(),
        pickup_state: from.state.clone(),
        pickup_country: from.country.clone(),
        pickup_pincode: from.pincode.as_ref().to_owned(),
        pickup_email: shop.customer.email.as_ref().to_owned(),
        pickup_phone: from.phone.as_ref().unwrap_or(&shop.customer.phone).as_ref().to_owned(),
        pickup_isd_code: None,
        shipping_customer_name: ctx.settings.shop_name.clone(),
        shipping_last_name: None,
        shipping_address: warehouse.address.clone().unwrap_or_default(),
        shipping_address_2: warehouse.address_2.clone(),
        shipping_city: warehouse.city.clone().unwrap_or_default(),
        shipping_country: warehouse.country.clone().unwrap_or_else(|| "India".into()),
        shipping_pincode: warehouse.pin_code.clone(),
        shipping_state: warehouse.state.clone().unwrap_or_default(),
        shipping_email: None,
        shipping_isd_code: None,
        shipping_phone: warehouse.phone.clone().unwrap_or_default(),
        order_items: items,
        payment_method: "Prepaid".into(),
        total_discount: None,
        sub_total,
        length: d.dimensions.length_cm(),
        breadth: d.dimensions.breadth_cm(),
        height: d.dimensions.height_cm(),
        weight: d.item_weight.as_kg(),
    };
    let (sr_order, sr_shipment) = match ctx.shiprocket.send(&request).await {
        Ok(r) => (r.order_id, r.shipment_id),
        // Created by an attempt whose answer was lost.
        Err(Api::Conflict { .. }) => {
            let page = ctx
                .shiprocket
                .send(&ListOrders::by_channel_order_id(&row.channel_return_id))
                .await
                .map_err(|e| failure::from_api(&e))?;
            match page.items.iter().find(|o| o.channel_order_id == row.channel_return_id) {
                Some(o) => (o.id, o.shipments.first().map(|s| s.id)),
                None => {
                    return Err(JobFailure::retry("return exists at Shiprocket but is not listed yet"));
                }
            }
        }
        Err(e) => return Err(super::returns::fail(ctx, row.id, &e).await),
    };
    let to_i64 = |v: u64| i64::try_from(v).map_err(|_| failure::permanent("Shiprocket id out of range"));
    let Some(sr_shipment) = sr_shipment else {
        return Err(failure::permanent("Shiprocket gave the return no shipment"));
    };
    ctx.store.record_return_created(row.id, to_i64(sr_order)?, to_i64(sr_shipment)?).await.job()
}
