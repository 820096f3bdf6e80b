//! The e-mail texts, one per lifecycle notification. Plain text, no customer data beyond what
//! the customer gave us, a tracking link on every customer mail.

use crate::mail::Email;

/// What a template can use.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub shop_name: &'a str,
    pub order_id: &'a str,
    pub first_name: &'a str,
    pub tracking_url: &'a str,
    pub courier: Option<&'a str>,
    pub awb: Option<&'a str>,
    pub sync_error: Option<&'a str>,
}

/// Subject and body for a notification kind; `None` for kinds without a mail.
pub fn render(kind: &str, f: &Facts<'_>) -> Option<(String, String)> {
    let courier = match (f.courier, f.awb) {
        (Some(c), Some(a)) => format!("{c}, tracking number {a}"),
        (Some(c), None) => c.to_owned(),
        _ => "our courier partner".to_owned(),
    };
    // A return mail's kind carries its return's id (one mail per return and step).
    let kind = shipping_domain::ReturnMail::from_kind(kind).map_or(kind, |(mail, _)| mail.name());
    let (subject, lines) = match kind {
        "order_confirmed" => (format!("{}: we have your order {}", f.shop_name, f.order_id), format!("Thank you! We are preparing order {} for shipping.", f.order_id)),
        "shipped" => (format!("Your order {} is on its way", f.order_id), format!("Your order {} has been picked up by {courier}.", f.order_id)),
        "out_for_delivery" => (format!("Your order {} is out for delivery today", f.order_id), "Our courier will deliver it today. Please keep your phone reachable.".to_owned()),
        "delivered" => (
            format!("Your order {} has been delivered", f.order_id),
            format!("We hope you like it! If you have a minute, tell us how it went by replying to this e-mail or reviewing your order at {}.", f.tracking_url),
        ),
        "ndr" => (
            format!("We could not deliver your order {}", f.order_id),
            "The courier could not deliver your parcel. Choose a new delivery date or correct your phone or address on the tracking page below, or reply to this e-mail.".to_owned(),
        ),
        "cancelled" => (
            format!("Your order {} has been cancelled", f.order_id),
            format!("Your order {} has been cancelled and will not be shipped. If you did not ask for this, reply to this e-mail.", f.order_id),
        ),
        "return_pickup_scheduled" => (
            format!("Your return for order {} is booked", f.order_id),
            "We have your return request. Our courier will come to collect the parcel; please keep it packed and ready.".to_owned(),
        ),
        "return_picked_up" => (
            format!("Your return for order {} has been picked up", f.order_id),
            "The courier has collected your return and is bringing it back to us.".to_owned(),
        ),
        "return_delivered" => (
            format!("We have received your return for order {}", f.order_id),
            "Your return has reached our warehouse. We will let you know once it has been checked.".to_owned(),
        ),
        "admin_sync_failed" => (
            format!("[{}] Shiprocket refused order {}", f.shop_name, f.order_id),
            format!("Creating order {} at Shiprocket failed: {}\nFix the order data; the failed-sync retry will pick it up.", f.order_id, f.sync_error.unwrap_or("(no message)")),
        ),
        _ => return None,
    };
    let body = if kind.starts_with("admin_") {
        lines
    } else {
        format!("Hello {},\n\n{lines}\n\nTrack your order: {}\n\n{}", f.first_name, f.tracking_url, f.shop_name)
    };
    Some((subject, body))
}

impl Email {
    pub fn new(from: &str, to: &str, (subject, body): (String, String)) -> Email {
        Email { from: from.to_owned(), to: to.to_owned(), subject, body }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn facts() -> Facts<'static> {
        Facts {
            shop_name: "Example Store",
            order_id: "WEB-1",
            first_name: "Asha",
            tracking_url: "https://shop/track/t",
            courier: Some("Delhivery"),
            awb: Some("1904"),
            sync_error: Some("Wrong Pickup location"),
        }
    }

    #[test]
    fn every_customer_mail_links_to_tracking_and_admin_mail_carries_the_error() {
        for kind in [
            "order_confirmed",
            "shipped",
            "out_for_delivery",
            "delivered",
            "ndr",
            "return_pickup_scheduled:1",
            "return_picked_up:1",
            "return_delivered:1",
        ] {
            let (_, body) = render(kind, &facts()).unwrap();
            assert!(body.contains("https://shop/track/t"), "{kind}");
        }
        assert!(render("shipped", &facts()).unwrap().1.contains("Delhivery, tracking number 1904"));
        assert!(render("admin_sync_failed", &facts()).unwrap().1.contains("Wrong Pickup location"));
        assert!(render("unknown", &facts()).is_none());
        assert!(render("return_picked_up:1", &facts()).unwrap().0.contains("has been picked up"));
    }
}
