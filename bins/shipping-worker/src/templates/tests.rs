#![allow(clippy::unwrap_used)]
use super::*;
use crate::mail::Email;
use mail_parser::{MessageParser, MimeHeaders, PartType};

fn facts() -> Facts<'static> {
    static BRAND: std::sync::LazyLock<Brand> = std::sync::LazyLock::new(Brand::default);
    Facts {
        shop_name: "Example Store",
        brand: &BRAND,
        order_id: "WEB-1",
        first_name: "Asha",
        tracking_url: "https://shop/track/t",
        courier: Some("Delhivery"),
        awb: Some("1904"),
        sync_error: Some("Wrong Pickup location"),
    }
}

/// The mail a stored kind names, rendered (`None`: no mail for that kind).
fn render_kind(kind: &str, f: &Facts<'_>) -> Option<Rendered> {
    Mail::from_kind(kind).map(|mail| render(mail, f).unwrap())
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
        let body = render_kind(kind, &facts()).unwrap().text;
        assert!(body.contains("https://shop/track/t"), "{kind}");
    }
    assert!(render_kind("shipped", &facts()).unwrap().text.contains("Delhivery, tracking number 1904"));
    assert!(render_kind("admin_sync_failed", &facts()).unwrap().text.contains("Wrong Pickup location"));
    assert!(render_kind("unknown", &facts()).is_none());
    assert!(render_kind("return_picked_up:1", &facts()).unwrap().subject.contains("has been picked up"));
}

#[test]
fn every_stored_kind_names_its_mail() {
    for mail in Mail::all() {
        assert_eq!(Mail::from_kind(mail.name()), Some(mail));
    }
    for m in ReturnMail::ALL {
        assert_eq!(Mail::from_kind(&m.kind(7)), Some(Mail::Return(m)));
    }
    assert_eq!(Mail::all().count(), MailKind::ALL.len() + ReturnMail::ALL.len());
    assert_eq!(Mail::all().filter(|m| m.to_admin()).collect::<Vec<_>>(), [Mail::Shipment(MailKind::AdminSyncFailed)]);
}

#[test]
fn the_html_part_escapes_what_customers_and_shiprocket_wrote() {
    let hostile = Facts {
        first_name: "<script>alert(1)</script>",
        order_id: "W\"><img src=x onerror=alert(2)>",
        courier: Some("<b>Courier</b>"),
        sync_error: Some("<i>refused</i> & \"gone\""),
        ..facts()
    };
    for mail in Mail::all() {
        let html = render(mail, &hostile).unwrap().html;
        for raw in ["<script>", "<img src=x", "<b>Courier", "<i>refused"] {
            assert!(!html.contains(raw), "{} lets {raw:?} through:\n{html}", mail.name());
        }
    }
    let html = |mail| render(mail, &hostile).unwrap().html;
    assert!(html(Mail::Shipment(MailKind::Shipped)).contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html(Mail::Shipment(MailKind::Shipped)).contains("W&#34;&#62;&#60;img src=x onerror=alert(2)&#62;"));
    assert!(
        html(Mail::Shipment(MailKind::AdminSyncFailed)).contains("&#60;i&#62;refused&#60;/i&#62; &#38; &#34;gone&#34;")
    );
    // The text part is text/plain: shown as written, nothing to escape.
    assert!(render(Mail::Shipment(MailKind::Shipped), &hostile).unwrap().text.contains("Hello <script>"));
}

#[test]
fn the_html_part_has_the_shops_colours_logo_and_tracking_link() {
    let brand = Brand::new("/logo.png", "#123456", "#abc", "https://shop.example/").unwrap();
    let f = Facts { brand: &brand, ..facts() };
    let html = render(Mail::Shipment(MailKind::Delivered), &f).unwrap().html;
    for part in
        ["#123456", "#abc", "src=\"https://shop.example/logo.png\"", "href=\"https://shop/track/t\"", "Example Store"]
    {
        assert!(html.contains(part), "{part} missing:\n{html}");
    }
    let admin = render(Mail::Shipment(MailKind::AdminSyncFailed), &f).unwrap();
    assert!(!admin.html.contains("Track your order") && !admin.text.contains("Track your order"));
}

/// What a mail client reads back from the `.eml` the file mailer writes.
#[test]
fn the_message_is_multipart_alternative_text_then_html_and_parses_back() {
    let first_name = "Aditi \u{0905}\u{0926}\u{093f}\u{0924}\u{093f}"; // non-ASCII: quoted-printable or base64
    let f = Facts { first_name, ..facts() };
    for mail in Mail::all() {
        let rendered = render(mail, &f).unwrap();
        let email = Email::new("Example Store <shipping@example-store.in>", "asha@example.com", rendered.clone());
        let bytes = email.message().unwrap().formatted();
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(parsed.subject(), Some(rendered.subject.as_str()));
        let root = parsed.content_type().unwrap();
        assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")), "{}", mail.name());
        assert!(root.attribute("boundary").is_some_and(|b| !b.is_empty()));
        assert_eq!(parsed.text_body.len(), 1);
        assert_eq!(parsed.html_body.len(), 1);
        let (text, html) = (parsed.part(parsed.text_body[0]).unwrap(), parsed.part(parsed.html_body[0]).unwrap());
        for (part, subtype) in [(text, "plain"), (html, "html")] {
            let ct = part.content_type().unwrap();
            assert_eq!((ct.ctype(), ct.subtype(), ct.attribute("charset")), ("text", Some(subtype), Some("utf-8")));
            assert!(part.content_transfer_encoding().is_some(), "{}: no transfer encoding", mail.name());
        }
        let crlf = |s: &str| s.replace('\n', "\r\n");
        assert!(
            matches!(&text.body, PartType::Text(t) if *t == crlf(&rendered.text)),
            "{}: {:?}",
            mail.name(),
            text.body
        );
        assert!(matches!(&html.body, PartType::Html(h) if *h == crlf(&rendered.html)), "{}", mail.name());
    }
}

/// One snapshot per mail and part: a changed word shows up as a reviewed snapshot diff.
#[test]
fn snapshots_of_every_mail() {
    for mail in Mail::all() {
        let r = render(mail, &facts()).unwrap();
        insta::assert_snapshot!(format!("{}.txt", mail.name()), format!("Subject: {}\n\n{}", r.subject, r.text));
        insta::assert_snapshot!(format!("{}.html", mail.name()), r.html);
    }
}

/// The whole message as written to the outbox, with what changes per send redacted.
#[test]
fn snapshot_of_a_whole_message() {
    let r = render(Mail::Shipment(MailKind::OutForDelivery), &facts()).unwrap();
    let email = Email::new("Example Store <shipping@example-store.in>", "asha@example.com", r);
    let eml = String::from_utf8(email.message().unwrap().formatted()).unwrap();
    insta::with_settings!({ filters => vec![
        (r"Date: .+", "Date: [date]"),
        (r"Message-ID: <[^>]+>", "Message-ID: [message-id]"),
        (r"[0-9A-Za-z]{40}", "[boundary]"),
    ]}, {
        insta::assert_snapshot!("out_for_delivery.eml", eml.replace("\r\n", "\n"));
    });
}
