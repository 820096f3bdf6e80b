//! Sending e-mail: SMTP in production, `.eml` files in a folder in zero-setup mode. Every mail
//! is `multipart/alternative` (a text part, then an HTML part), built by lettre: boundary,
//! charset and transfer encoding (7bit, or quoted-printable for long or non-ASCII lines) are
//! its business.
//!
//! The file mailer names each file after the notification, so a retried send rewrites the same
//! file: exactly one e-mail per notification. SMTP cannot promise that (a crash between the
//! server's 250 and our "sent" mark resends); the notification row keeps it to at most one
//! resend in that case.

use crate::templates::Rendered;
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    /// Writes `<dir>/<key>.eml`.
    Files(PathBuf),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Files(dir) => f.debug_tuple("Files").field(dir).finish(),
            Mailer::Smtp { .. } => f.write_str("Smtp"),
        }
    }
}

/// A message ready to send.
#[derive(Debug, Clone)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part (escaped by the template engine).
    pub html: String,
}

impl Email {
    pub fn new(from: &str, to: &str, Rendered { subject, text, html }: Rendered) -> Email {
        Email { from: from.to_owned(), to: to.to_owned(), subject, text, html }
    }

    /// The MIME message: `multipart/alternative` with the text part first, so a client that
    /// cannot show HTML shows the text.
    pub fn message(&self) -> Result<Message, String> {
        let parse = |a: &str, what: &str| a.parse::<Mailbox>().map_err(|e| format!("invalid {what} address: {e}"));
        Message::builder()
            .from(parse(&self.from, "sender")?)
            .to(parse(&self.to, "recipient")?)
            .subject(self.subject.clone())
            .multipart(MultiPart::alternative_plain_html(self.text.clone(), self.html.clone()))
            .map_err(|e| format!("building the e-mail: {e}"))
    }
}

impl Mailer {
    /// Sends `email`; `key` names the file in file mode (one file per key).
    pub async fn send(&self, key: &str, email: &Email) -> Result<(), String> {
        let message = email.message()?;
        match self {
            Mailer::Files(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| format!("creating {}: {e}", dir.display()))?;
                let tmp = dir.join(format!(".{key}.eml.tmp"));
                tokio::fs::write(&tmp, message.formatted()).await.map_err(|e| format!("writing the e-mail: {e}"))?;
                tokio::fs::rename(&tmp, dir.join(format!("{key}.eml")))
                    .await
                    .map_err(|e| format!("writing the e-mail: {e}"))
            }
            Mailer::Smtp { transport } => transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}")),
        }
    }
}
