//! The e-mails, one per lifecycle notification, as askama templates in
//! `bins/shipping-worker/templates/mail/` (ADR 0010): a subject, a plain-text part and an HTML
//! part in the shop's colours. Every template matches on the typed [`Mail`], so a new kind
//! without its words does not compile. The HTML part is escaped by askama; the text part is
//! plain text and goes out as `text/plain`. No customer data beyond what the customer gave us,
//! a tracking link on every customer mail.

use askama::Template;
use shipping_domain::{MailKind, ReturnMail};
use shipping_settings::SettingsError;

/// Which e-mail: a shipment's own (and the admin alert) or one about a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mail {
    Shipment(MailKind),
    Return(ReturnMail),
}

impl Mail {
    /// Every e-mail there is.
    pub fn all() -> impl Iterator<Item = Mail> {
        MailKind::ALL.into_iter().map(Mail::Shipment).chain(ReturnMail::ALL.into_iter().map(Mail::Return))
    }

    /// The mail a stored notification kind names (a return mail's kind carries its return's
    /// id: one mail per return and step); `None` for kinds without a mail.
    pub fn from_kind(kind: &str) -> Option<Mail> {
        if let Some(k) = MailKind::from_code(kind) {
            return Some(Mail::Shipment(k));
        }
        let bare = ReturnMail::ALL.into_iter().find(|m| m.name() == kind);
        bare.or_else(|| ReturnMail::from_kind(kind).map(|(m, _)| m)).map(Mail::Return)
    }

    /// The template's name (snapshots are named after it).
    pub fn name(self) -> &'static str {
        match self {
            Mail::Shipment(k) => k.code(),
            Mail::Return(m) => m.name(),
        }
    }

    /// Goes to the shop's admin, not the customer (no greeting, no tracking link).
    pub fn to_admin(self) -> bool {
        matches!(self, Mail::Shipment(k) if k.to_admin())
    }
}

/// How the shop's e-mails look (`[shop]` in the worker's config, the same keys and rules as the
/// API's tracking page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// Absolute URL of the logo; empty: the shop's name stands in the header.
    pub logo_url: String,
    pub primary_color: String,
    pub accent_color: String,
}

impl Default for Brand {
    fn default() -> Self {
        Brand { logo_url: String::new(), primary_color: "#1f4e79".into(), accent_color: "#c05a00".into() }
    }
}

impl Brand {
    /// Checks the configured values the way the API checks its `[shop]`: colours `#rgb` or
    /// `#rrggbb` (they go into style attributes), the logo empty, an http(s) URL or a path. A
    /// path is served by the API, so it is made absolute against `public_base_url`: a mail has
    /// no page to be relative to.
    pub fn new(
        logo_url: &str,
        primary_color: &str,
        accent_color: &str,
        public_base_url: &str,
    ) -> Result<Brand, SettingsError> {
        for (name, colour) in [("shop.primary_color", primary_color), ("shop.accent_color", accent_color)] {
            let hex = colour.strip_prefix('#').unwrap_or_default();
            if !(matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Err(SettingsError::invalid(name, "must be a colour like #1f4e79"));
            }
        }
        let logo = logo_url.trim();
        if !(logo.is_empty() || logo.starts_with("https://") || logo.starts_with("http://") || logo.starts_with('/'))
            || logo.contains(['"', '\'', '<', '>', ' '])
        {
            return Err(SettingsError::invalid("shop.logo_url", "must be empty, an http(s) URL or a path"));
        }
        let logo_url = match logo.strip_prefix('/') {
            Some(path) => format!("{}/{path}", public_base_url.trim_end_matches('/')),
            None => logo.to_owned(),
        };
        Ok(Brand { logo_url, primary_color: primary_color.into(), accent_color: accent_color.into() })
    }
}

/// What a template can use.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub shop_name: &'a str,
    pub brand: &'a Brand,
    pub order_id: &'a str,
    pub first_name: &'a str,
    pub tracking_url: &'a str,
    pub courier: Option<&'a str>,
    pub awb: Option<&'a str>,
    pub sync_error: Option<&'a str>,
}

impl Facts<'_> {
    /// Who has the parcel, in words.
    pub fn courier_phrase(&self) -> String {
        match (self.courier, self.awb) {
            (Some(c), Some(a)) => format!("{c}, tracking number {a}"),
            (Some(c), None) => c.to_owned(),
            _ => "our courier partner".to_owned(),
        }
    }

    pub fn sync_error_or_none(&self) -> &str {
        self.sync_error.unwrap_or("(no message)")
    }
}

/// A rendered e-mail: the subject and both parts of `multipart/alternative`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "mail/subject.txt")]
struct Subject<'a> {
    mail: Mail,
    f: &'a Facts<'a>,
}

#[derive(Template)]
#[template(path = "mail/text.txt")]
struct TextPart<'a> {
    mail: Mail,
    f: &'a Facts<'a>,
}

#[derive(Template)]
#[template(path = "mail/html.html")]
struct HtmlPart<'a> {
    mail: Mail,
    f: &'a Facts<'a>,
    subject: &'a str,
}

/// Subject, text and HTML of `mail` about these facts.
pub fn render(mail: Mail, f: &Facts<'_>) -> Result<Rendered, askama::Error> {
    let subject = Subject { mail, f }.render()?;
    let text = TextPart { mail, f }.render()?;
    let html = HtmlPart { mail, f, subject: &subject }.render()?;
    Ok(Rendered { subject, text, html })
}

#[cfg(test)]
mod tests;
